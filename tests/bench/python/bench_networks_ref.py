#!/usr/bin/python3
"""The Python side of tests/bench/bench_networks: the same shapes through the original
openai/guided-diffusion and openai/CLIP code with Debian's python3-torch.

Neither project is part of Blendiff: point --guided-diffusion and --clip at local
checkouts of them. Random weights (timings do not depend on the values).
Prints one JSON object: seconds per call for each case (median of --repeats).
"""
import argparse
import importlib.util
import json
import statistics
import sys
import time
import types

import torch


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def timed(fn, repeats):
    fn()  # warm-up: allocator, OpenMP pool
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def tokenizer_prompts_per_s(clip_dir, vocab):
    """CLIP's SimpleTokenizer and clip.tokenize's padding, on bench_networks' prompts.
    Needs Debian's python3-regex; ftfy is not in Debian, so its fix_text is the identity
    (as when the reference vectors were made)."""
    if importlib.util.find_spec("ftfy") is None:
        sys.modules["ftfy"] = types.SimpleNamespace(fix_text=lambda text: text)
    tok = load_module("simple_tokenizer", f"{clip_dir}/clip/simple_tokenizer.py").SimpleTokenizer(vocab)
    prompts = [f"a photo of a red apple number {i} on a wooden table, highly detailed" for i in range(2000)]
    sot, eot = tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]
    t0 = time.perf_counter()
    result = torch.zeros(len(prompts), 77, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids = [sot] + tok.encode(p) + [eot]
        result[i, :len(ids)] = torch.tensor(ids)
    return len(prompts) / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guided-diffusion", required=True, help="checkout of openai/guided-diffusion")
    ap.add_argument("--clip", required=True, help="checkout of openai/CLIP")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-unet", action="store_true")
    ap.add_argument("--vocab", help="bpe_simple_vocab_16e6.txt.gz: also time the tokenizer")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    sys.path.insert(0, args.guided_diffusion)
    from guided_diffusion.script_util import create_model  # noqa: E402

    clip_model = load_module("clip_model", f"{args.clip}/clip/model.py")
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}

    if not args.skip_unet:
        unet = create_model(image_size=256, num_channels=256, num_res_blocks=2, channel_mult="",
                            learn_sigma=True, class_cond=False, use_checkpoint=False,
                            attention_resolutions="32,16,8", num_heads=4, num_head_channels=64,
                            num_heads_upsample=-1, use_scale_shift_norm=True, dropout=0.0,
                            resblock_updown=True, use_fp16=False, use_new_attention_order=False)
        unet.eval().requires_grad_(False)
        # As Blended Diffusion does: the attention blocks' gradient checkpointing calls
        # autograd.grad on these parameters, which fails unless they require grad.
        for name, param in unet.named_parameters():
            if "qkv" in name or "norm" in name or "proj" in name:
                param.requires_grad_(True)
        x = torch.randn(1, 3, 256, 256)
        t = torch.tensor([500.0])

        def unet_fwd():
            with torch.no_grad():
                unet(x, t)

        def unet_fwd_bwd():
            xi = x.clone().requires_grad_(True)
            y = unet(xi, t)
            torch.autograd.grad(y.square().mean(), xi)

        out["unet256_forward_s"] = timed(unet_fwd, args.repeats)
        out["unet256_forward_backward_s"] = timed(unet_fwd_bwd, args.repeats)
        del unet

    clip = clip_model.CLIP(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768,
                           vision_patch_size=16, context_length=77, vocab_size=49408,
                           transformer_width=512, transformer_heads=8, transformer_layers=12)
    clip.eval().requires_grad_(False)
    views = torch.randn(8, 3, 224, 224)

    def clip_fwd_bwd():
        v = views.clone().requires_grad_(True)
        e = clip.encode_image(v).float()
        torch.autograd.grad(e.square().sum(), v)

    out["clip_vitb16_encode_image_8_fwd_bwd_s"] = timed(clip_fwd_bwd, args.repeats)
    if args.vocab:
        out["tokenizer_prompts_per_s"] = tokenizer_prompts_per_s(args.clip, args.vocab)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
