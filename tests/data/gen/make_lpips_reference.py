#!/usr/bin/python3
"""Makes the LPIPS golden vectors tests/fidelity/test_lpips.cpp compares against.

Runs the original lpips package (richzhang/PerceptualSimilarity, net='vgg', version
0.1) with Debian's python3-torch:

    /usr/bin/python3 tests/data/gen/make_lpips_reference.py PERCEPTUAL_SIMILARITY_CHECKOUT [OUT_DIR]

Debian has no torchvision, and lpips only takes `tv.vgg16(...).features` from it, so a
stand-in module provides torchvision's VGG16 `features` built by torchvision's own layer
list (cfg 'D': conv3x3 pad 1 + ReLU(inplace), max-pool 2x2). Every width is divided by
WIDTH_DIVISOR so the weights stay small; the layer indices, taps and key names are those
of the published network. Random seeded weights; the reference is computed in float64
from float32 weights and inputs.

Writes (all committed; CI runs no Python):
  lpips_dev_vgg.pth   torchvision-style trunk state dict (features.N.*, plus one
                      classifier tensor the loader must ignore), zip format
  lpips_dev_lin.pth   lpips-style lin weights (linK.model.1.weight), legacy format as
                      the published weights/v0.1/vgg.pth
  lpips_dev.pt        inputs, outputs, per-layer terms and the input gradient
  lpips_dev.json      what each tensor is
"""
import json
import os
import sys
import types

import torch
import torch.nn as nn

WIDTH_DIVISOR = 8
CFG_D = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_features(divisor):
    layers, c_in = [], 3
    for v in CFG_D:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(c_in, v // divisor, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            c_in = v // divisor
    return nn.Sequential(*layers)


def install_torchvision_stand_in(divisor):
    tv = types.ModuleType("torchvision")
    models = types.ModuleType("torchvision.models")

    def vgg16(pretrained=False, **_):
        assert not pretrained
        return types.SimpleNamespace(features=vgg16_features(divisor))

    def unused(*_, **__):
        raise RuntimeError("only vgg16 is provided")

    models.vgg16 = vgg16
    models.alexnet = models.squeezenet1_1 = models.resnet18 = unused
    tv.models = models
    sys.modules["torchvision"] = tv
    sys.modules["torchvision.models"] = models
    # lpips/__init__ imports its trainer, which needs these; LPIPS itself does not.
    for name, attrs in (("scipy", {}), ("scipy.ndimage", {"zoom": unused}), ("tqdm", {"tqdm": unused})):
        try:
            __import__(name)
        except ImportError:
            stub = types.ModuleType(name)
            stub.__dict__.update(attrs)
            sys.modules[name] = stub


def main():
    checkout = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "reference")
    install_torchvision_stand_in(WIDTH_DIVISOR)
    sys.path.insert(0, checkout)
    import lpips  # noqa: E402  (the original package, from the checkout)

    torch.manual_seed(20240607)
    model = lpips.LPIPS(pretrained=False, net="vgg", version="0.1", pnet_rand=True, verbose=False)
    # LPIPS hard-codes the published widths for its lin layers: narrow them the same way.
    model.chns = [c // WIDTH_DIVISOR for c in model.chns]
    for k, c in enumerate(model.chns):
        setattr(model, f"lin{k}", lpips.NetLinLayer(c, use_dropout=True))
    model.lins = nn.ModuleList([getattr(model, f"lin{k}") for k in range(len(model.chns))])
    # Random weights of a sensible scale: He-normal convolutions, non-zero biases (so
    # they are tested), non-negative lin weights as the trained ones are.
    with torch.no_grad():
        for m in model.net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                m.bias.normal_(0.0, 0.05)
        for lin in model.lins:
            w = lin.model[1].weight
            w.copy_(torch.rand_like(w) * 0.2)
    model.eval()

    trunk = {}
    for slice_name, sl in model.net.named_children():
        for idx, layer in sl.named_children():
            if isinstance(layer, nn.Conv2d):
                trunk[f"features.{idx}.weight"] = layer.weight.detach().clone()
                trunk[f"features.{idx}.bias"] = layer.bias.detach().clone()
    trunk["classifier.6.bias"] = torch.randn(10)  # torchvision files carry the classifier too
    lins = {f"lin{k}.model.1.weight": model.lins[k].model[1].weight.detach().clone() for k in range(5)}

    # Images in [-1, 1], H != W and not a multiple of 32 (pooling floors). Pairs: a
    # small perturbation, an unrelated image, and the same image (distance 0).
    h, w = 48, 40
    in0 = torch.rand(3, 3, h, w) * 2 - 1
    in1 = torch.stack([(in0[0] + 0.1 * torch.randn(3, h, w)).clamp(-1, 1), torch.rand(3, h, w) * 2 - 1, in0[2]])
    # Blended Diffusion's call: a batch of masked backgrounds against the one init image.
    init = torch.rand(1, 3, h, w) * 2 - 1

    ref = model.double()
    x0, x1, xi = in0.double(), in1.double(), init.double()
    with torch.no_grad():
        d_pairs, per_layer = ref(x0, x1, retPerLayer=True)
        d_broadcast = ref(x0, xi)
    x0g = x0.clone().requires_grad_(True)
    grad = torch.autograd.grad(ref(x0g, xi).sum(), x0g)[0]

    tensors = {
        "in0": in0, "in1": in1, "init": init,
        "lpips_pairs": d_pairs.reshape(-1), "lpips_broadcast": d_broadcast.reshape(-1),
        "grad_broadcast_sum": grad,
    }
    for k, r in enumerate(per_layer):
        tensors[f"dbg.layer{k}"] = r.reshape(-1)
    os.makedirs(out, exist_ok=True)
    torch.save(trunk, os.path.join(out, "lpips_dev_vgg.pth"))
    torch.save(lins, os.path.join(out, "lpips_dev_lin.pth"), _use_new_zipfile_serialization=False)
    torch.save(tensors, os.path.join(out, "lpips_dev.pt"))
    sidecar = {
        "what": "lpips.LPIPS(net='vgg', version='0.1') from richzhang/PerceptualSimilarity, random weights, "
                "VGG16 widths divided by width_divisor",
        "generator": "tests/data/gen/make_lpips_reference.py",
        "torch": torch.__version__,
        "width_divisor": WIDTH_DIVISOR,
        "image_hw": [h, w],
        "weights": {"lpips_dev_vgg.pth": "features.N.{weight,bias} (torchvision names) + classifier.6.bias",
                    "lpips_dev_lin.pth": "linK.model.1.weight, legacy torch.save format"},
        "inputs": {"in0": "float32 [3,3,H,W] in [-1,1]", "in1": "float32 [3,3,H,W]: in0[0] + noise, random, in0[2]",
                   "init": "float32 [1,3,H,W]"},
        "outputs": {"lpips_pairs": "float64 [3] LPIPS(in0, in1)",
                    "lpips_broadcast": "float64 [3] LPIPS(in0, init) (init broadcast over the batch)",
                    "grad_broadcast_sum": "float64 [3,3,H,W] d/d in0 of sum_b LPIPS(in0_b, init)",
                    "dbg.layerK": "float64 [3] the spatially averaged lin_K term of LPIPS(in0, in1)"},
        "precision": "reference computed in float64 (model.double()) from float32 weights and inputs",
    }
    with open(os.path.join(out, "lpips_dev.json"), "w") as f:
        json.dump(sidecar, f, indent=1)
    print("LPIPS(in0, in1) =", d_pairs.reshape(-1).tolist(), "LPIPS(in0, init) =", d_broadcast.reshape(-1).tolist())


if __name__ == "__main__":
    main()
