#!/usr/bin/python3
"""The Python side of tests/bench/bench_edit_speed: one text-guided edit through the
original omriav/blended-diffusion loop, ImageEditor.edit_image_by_prompt, with Debian's
python3-torch, on a configuration of tests/bench/edit_speed_configs.json. With
--device cuda --fp16 it runs as the original does on a GPU (UNet convert_to_fp16, CLIP's
convert_weights as clip.load leaves it there) and also reports the GPU memory peaks of
PyTorch's allocator (tests/device/gpu_acceptance.sh).

Blended Diffusion is not part of Blendiff: point --blended-diffusion at a checkout of it
(its vendored guided_diffusion and CLIP are the ones it runs) and --kornia at a kornia
v0.6.2 source tree (the version the reference dossier ran; pure Python).

What runs is the original method and everything it calls: cond_fn (UNet forward with
autograd, CLIP loss over the kornia augmentations, range loss), the vendored DDPM loop
with skip_timesteps/init_image/postprocess_fn, the background blending, the ranking
distances and the PNG writes. What differs, because the machine lacks the packages or
the published weights:
  * ImageEditor.__init__ is replaced by the same steps with the configuration's sizes
    and random weights (use_fp16 only with --fp16: fp16 convolutions do not run on the
    CPU);
  * stand-ins for torchvision (Normalize and the three functional calls it uses, same
    arithmetic), clip.tokenize (fixed token ids; the text tower still runs), lpips
    (constructed by __init__ only), tqdm (the progress bar), packaging.version (kornia
    asks for the torch version) and the matplotlib/cv2 figure and video writers (no-ops:
    this favours Python slightly).
Prints one JSON line with the same keys as the C++ program.
"""
import argparse
import json
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as torch_F
from PIL import Image

from bench_networks_ref import load_module  # this folder


def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def install_stand_ins():
    try:
        import packaging.version  # noqa: F401
    except ImportError:
        def parse(v):
            return tuple(int(x) for x in re.findall(r"\d+", v.split("+")[0])[:3])
        pkg = module("packaging")
        pkg.version = module("packaging.version", parse=parse)

    class Normalize:  # torchvision.transforms.Normalize on a tensor batch
        def __init__(self, mean, std):
            self.mean, self.std = torch.tensor(mean), torch.tensor(std)

        def __call__(self, x):
            mean, std = self.mean.to(x.device, x.dtype), self.std.to(x.device, x.dtype)
            return (x - mean.view(-1, 1, 1)) / std.view(-1, 1, 1)

    def resize(x, size):  # torchvision 0.10 F.resize on tensors: bilinear, no antialias
        return torch_F.interpolate(x, size=size, mode="bilinear", align_corners=False)

    def to_tensor(pil):
        return torch.from_numpy(np.array(pil, dtype=np.uint8)).permute(2, 0, 1).float().div(255)

    def to_pil_image(t):
        if isinstance(t, np.ndarray):
            return Image.fromarray(t)
        return Image.fromarray(t.mul(255).byte().permute(1, 2, 0).cpu().numpy())

    functional = module("torchvision.transforms.functional", resize=resize, to_tensor=to_tensor,
                        to_pil_image=to_pil_image)
    transforms = module("torchvision.transforms", Normalize=Normalize, functional=functional)
    module("torchvision", transforms=transforms)
    module("lpips", LPIPS=None)
    module("tqdm")
    module("tqdm.auto", tqdm=lambda it, **_: it)
    module("utils.visualization", show_tensor_image=lambda *a, **k: None,
           show_editied_masked_image=lambda *a, **k: None)
    module("utils.video", save_video=lambda *a, **k: None)


def randomize(model):
    # The same rule as the C++ side: norm weights 1, biases 0, everything else N(0, 0.02).
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.zero_()
            elif name.endswith("weight") and p.dim() == 1:
                p.fill_(1.0)
            elif p.dim() >= 1:
                p.normal_(0.0, 0.02)


def main():
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser()
    ap.add_argument("--blended-diffusion", required=True, help="checkout of omriav/blended-diffusion")
    ap.add_argument("--kornia", required=True, help="kornia v0.6.2 source tree (the folder holding kornia/)")
    ap.add_argument("--config", default="tiny")
    ap.add_argument("--configs", default=str(here.parent / "edit_speed_configs.json"))
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--skip", type=int, default=-1, help="override skip_timesteps (fewer steps)")
    ap.add_argument("--batch", type=int, default=-1)
    ap.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    ap.add_argument("--fp16", action="store_true", help="the original's use_fp16 (CUDA only)")
    args = ap.parse_args()
    cuda = args.device.startswith("cuda")
    if args.fp16 and not cuda:
        ap.error("--fp16 needs --device cuda (fp16 convolutions do not run on the CPU)")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cfg = json.load(open(args.configs))[args.config]
    e = cfg["edit"]

    install_stand_ins()
    sys.path.insert(0, args.kornia)
    sys.path.insert(0, args.blended_diffusion)
    clip_stub = module("CLIP.clip", tokenize=lambda prompt: torch.tensor(
        [[49406, 320, 736, 3055, 49407] + [0] * (cfg["clip"]["context_length"] - 5)]))
    module("CLIP", clip=clip_stub)
    from optimization import image_editor  # noqa: E402  (the original)
    from optimization.augmentations import ImageAugmentations  # noqa: E402
    from utils.metrics_accumulator import MetricsAccumulator  # noqa: E402
    from guided_diffusion.guided_diffusion.script_util import (  # noqa: E402
        create_model_and_diffusion, model_and_diffusion_defaults)
    clip_model_py = load_module("bd_clip_model", os.path.join(args.blended_diffusion, "CLIP/clip/model.py"))

    work = tempfile.mkdtemp(prefix="bench_edit_speed_ref_")
    size = cfg["unet"]["image_size"]
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(f"{work}/init.png")
    mask = np.zeros((size, size, 3), np.uint8)
    mask[size // 4:3 * size // 4, size // 4:3 * size // 4] = 255
    Image.fromarray(mask).save(f"{work}/mask.png")

    ed = image_editor.ImageEditor.__new__(image_editor.ImageEditor)
    ed.args = argparse.Namespace(
        prompt="a red apple", init_image=f"{work}/init.png", mask=f"{work}/mask.png",
        skip_timesteps=args.skip if args.skip >= 0 else e["skip_timesteps"], local_clip_guided_diffusion=False,
        ddim=False, timestep_respacing=e["timestep_respacing"], model_output_size=256, aug_num=e["aug_num"],
        clip_guidance_lambda=e["clip_lambda"], range_lambda=e["range_lambda"], lpips_sim_lambda=1000,
        l2_sim_lambda=10000, background_preservation_loss=False, invert_mask=False, enforce_background=True,
        seed=404, gpu_id=0, output_path=work, output_file="output.png", iterations_num=e["iterations"],
        batch_size=args.batch if args.batch > 0 else e["batch_size"], save_video=False, export_assets=False)
    # ImageEditor.__init__, step by step, with random weights of the configured sizes.
    t_make = time.perf_counter()
    ed.ranked_results_path = Path(work) / "ranked"
    os.makedirs(ed.ranked_results_path, exist_ok=True)
    torch.manual_seed(ed.args.seed)
    np.random.seed(ed.args.seed)
    ed.model_config = model_and_diffusion_defaults()
    ed.model_config.update({"diffusion_steps": 1000, "rescale_timesteps": True, "noise_schedule": "linear",
                            "timestep_respacing": ed.args.timestep_respacing})
    ed.model_config.update({k: v for k, v in cfg["unet"].items() if k in ed.model_config})
    ed.model_config["use_fp16"] = args.fp16
    ed.device = torch.device(args.device)
    ed.model, ed.diffusion = create_model_and_diffusion(**ed.model_config)
    randomize(ed.model)
    ed.model.requires_grad_(False).eval().to(ed.device)
    for name, param in ed.model.named_parameters():
        if "qkv" in name or "norm" in name or "proj" in name:
            param.requires_grad_()
    if ed.model_config["use_fp16"]:
        ed.model.convert_to_fp16()
    ed.clip_model = clip_model_py.CLIP(**cfg["clip"])
    randomize(ed.clip_model)
    if args.fp16:
        clip_model_py.convert_weights(ed.clip_model)  # what clip.load leaves on a GPU
    ed.clip_model.to(ed.device).eval().requires_grad_(False)
    ed.clip_size = ed.clip_model.visual.input_resolution
    ed.clip_normalize = sys.modules["torchvision.transforms"].Normalize(
        mean=[0.48145466, 0.4578275, 0.40821073], std=[0.26862954, 0.26130258, 0.27577711])
    ed.lpips_model = None
    ed.image_augmentations = ImageAugmentations(ed.clip_size, ed.args.aug_num)
    ed.metrics_accumulator = MetricsAccumulator()
    make_s = time.perf_counter() - t_make

    # The duration of every step the sampling generator yields, per iteration.
    step_s = []
    original_loop = ed.diffusion.p_sample_loop_progressive

    def sync():
        if cuda:
            torch.cuda.synchronize(ed.device)

    def timed_loop(*a, **k):
        sync()
        last = time.perf_counter()
        for out in original_loop(*a, **k):
            sync()
            now = time.perf_counter()
            step_s.append(now - last)
            yield out
            last = time.perf_counter()  # the caller's work between steps is not the step's

    ed.diffusion.p_sample_loop_progressive = timed_loop
    if cuda:
        torch.cuda.reset_peak_memory_stats(ed.device)
    t0 = time.perf_counter()
    ed.edit_image_by_prompt()
    sync()
    edit_s = time.perf_counter() - t0
    steady = step_s[1:] if len(step_s) > 1 else step_s
    candidates = ed.args.iterations_num * ed.args.batch_size
    ranked = len(os.listdir(ed.ranked_results_path))
    gpu = {}
    if cuda:
        mib = 1024.0 * 1024.0
        gpu = {"gpu": torch.cuda.get_device_name(ed.device),
               "peak_gpu_allocated_mib": torch.cuda.max_memory_allocated(ed.device) / mib,
               "peak_gpu_reserved_mib": torch.cuda.max_memory_reserved(ed.device) / mib}
    print(json.dumps({
        "impl": "Python", "config": args.config, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "device": args.device, "precision": "fp16" if args.fp16 else "fp32", **gpu,
        "image_size": size, "batch_size": ed.args.batch_size, "aug_num": ed.args.aug_num,
        "steps": len(step_s), "candidates": ranked,
        "make_weights_s": make_s, "load_s": 0.0,
        "step_s": statistics.median(steady) if steady else 0.0,
        "step_mean_s": statistics.mean(steady) if steady else 0.0,
        "candidate_s": edit_s / candidates, "edit_s": edit_s,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
    for f in Path(work).rglob("*"):
        if f.is_file():
            f.unlink()


if __name__ == "__main__":
    main()
