#!/usr/bin/python3
"""Makes the small weight files the reader tests use (run with Debian's python3-torch).

The outputs are committed under tests/data/checkpoints/, so CI needs no Python. Every
file holds the same state dict; expected.json records names, dtypes, shapes and values.
"""
import collections
import json
import os
import pickle
import sys
import zipfile

import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "checkpoints")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(7)

base = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8
sd = collections.OrderedDict()
sd["conv.weight"] = torch.randn(2, 3, 1, 1).half().float()
sd["conv.bias"] = torch.tensor([0.5, -0.25])
sd["half"] = torch.tensor([1.0, -2.0, 0.125]).half()
sd["bf16"] = torch.tensor([3.0, 0.5]).bfloat16()
sd["steps"] = torch.tensor(1234, dtype=torch.int64)
sd["flags"] = torch.tensor([True, False, True])
sd["base"] = base
sd["base_t"] = base.t()          # a view sharing base's storage, non-contiguous
sd["row1"] = base[1]             # a view with a storage offset
sd["empty"] = torch.zeros(0, 5)
sd._metadata = collections.OrderedDict({"": {"version": 1}})

expected = {}
for k, v in sd.items():
    expected[k] = {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                   "values": v.float().flatten().tolist()}
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)

torch.save(sd, os.path.join(OUT, "tiny_zip.pt"))  # top folder named after the file
with open(os.path.join(OUT, "tiny_archive.pt"), "wb") as f:
    torch.save(sd, f)  # a file object: top folder "archive"
torch.save(sd, os.path.join(OUT, "tiny_legacy.pt"), _use_new_zipfile_serialization=False)
torch.save({"state_dict": sd, "epoch": 3}, os.path.join(OUT, "nested.pt"))

# A re-zipped (deflated) copy: users' tools sometimes recompress checkpoints.
with zipfile.ZipFile(os.path.join(OUT, "tiny_zip.pt")) as src, \
        zipfile.ZipFile(os.path.join(OUT, "tiny_deflated.pt"), "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))


class Tiny(torch.nn.Module):
    """Shaped like CLIP's archive: params, a buffer, and a non-state tensor attribute."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 2, 1)
        self.register_buffer("input_resolution", torch.tensor(24))
        self.scale = torch.nn.Parameter(torch.tensor([2.0]))
        self.attn_mask = torch.ones(2, 2)  # not a parameter or buffer: not in state_dict

    def forward(self, x):
        return self.conv(x) * self.scale + self.attn_mask.sum()


tiny = Tiny()
with torch.no_grad():
    tiny.conv.weight.copy_(sd["conv.weight"])
    tiny.conv.bias.copy_(sd["conv.bias"])
tiny = tiny.half()
scripted = torch.jit.script(tiny)
scripted.save(os.path.join(OUT, "tiny_script.pt"))
with open(os.path.join(OUT, "tiny_script.json"), "w") as f:
    json.dump({k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                   "values": v.float().flatten().tolist()} for k, v in scripted.state_dict().items()}, f, indent=1)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


# Pickles that reference code. They are written, never loaded, here.
torch.save({"weight": torch.ones(1), "payload": Evil()}, os.path.join(OUT, "evil_os_system.pt"))
torch.save({"weight": torch.ones(1), "payload": Evil()}, os.path.join(OUT, "evil_legacy.pt"),
           _use_new_zipfile_serialization=False)
with open(os.path.join(OUT, "evil_plain.pkl"), "wb") as f:
    pickle.dump({"payload": Evil()}, f, protocol=2)
print("wrote fixtures to", OUT)
