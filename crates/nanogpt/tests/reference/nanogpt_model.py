"""nanoGPT's GPT (Karpathy's model.py, its module names and its forward pass) in PyTorch, loading the
weights `nanogpt export` wrote and printing the logits of a token sequence.

The reference for tests/export.rs. Needs only torch (the safetensors file is read here, not with the
safetensors package). Prints one line per position: the V logits, space-separated, to f32 precision.

    nanogpt export --checkpoint runs/nanogpt --out gpt.safetensors
    python3 crates/nanogpt/tests/reference/nanogpt_model.py gpt.safetensors --text "emma"
    python3 crates/nanogpt/tests/reference/nanogpt_model.py gpt.safetensors --tokens 26,4,12

The config beside the weights (gpt.json) holds model.py's GPTConfig fields and two things model.py
would have to be told: `tie_head` (model.py always ties lm_head to wte) and `gelu` ("tanh": GPT-2's
approximation, which model.py's exact `nn.GELU()` differs from by up to 4.7e-4, near x = 2.7).
"""
import argparse
import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_safetensors(path):
    """The f32 tensors of a safetensors file: an 8-byte little-endian header length, a JSON header
    of names, dtypes, shapes and byte offsets, then the bytes."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        assert meta["dtype"] == "F32", f"{name}: {meta['dtype']}"
        start, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32)
        tensors[name] = t.reshape(meta["shape"])
    return tensors


class LayerNorm(nn.Module):
    """model.py's LayerNorm: PyTorch's, with an optional bias."""

    def __init__(self, ndim, bias, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg["n_embd"]
        self.c_attn = nn.Linear(c, 3 * c, bias=cfg["bias"])  # q, k, v stacked by rows: (3C, C)
        self.c_proj = nn.Linear(c, c, bias=cfg["bias"])
        self.n_head = cfg["n_head"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        heads = lambda t: t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg["n_embd"]
        self.c_fc = nn.Linear(c, 4 * c, bias=cfg["bias"])
        self.gelu = nn.GELU(approximate=cfg.get("gelu", "none"))
        self.c_proj = nn.Linear(4 * c, c, bias=cfg["bias"])

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        eps = cfg["layer_norm_eps"]
        self.ln_1 = LayerNorm(cfg["n_embd"], cfg["bias"], eps)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = LayerNorm(cfg["n_embd"], cfg["bias"], eps)
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg["n_embd"]
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(cfg["vocab_size"], c),
                wpe=nn.Embedding(cfg["block_size"], c),
                h=nn.ModuleList([Block(cfg) for _ in range(cfg["n_layer"])]),
                ln_f=LayerNorm(c, cfg["bias"], cfg["layer_norm_eps"]),
            )
        )
        self.lm_head = nn.Linear(c, cfg["vocab_size"], bias=False)
        if cfg.get("tie_head", True):
            self.transformer.wte.weight = self.lm_head.weight  # model.py's weight tying

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))  # (B, T, V)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("weights", help="FILE.safetensors written by `nanogpt export` (FILE.json beside it)")
    ap.add_argument("--tokens", help="comma-separated token ids")
    ap.add_argument("--text", help="text to encode with the exported vocabulary")
    a = ap.parse_args()
    assert a.weights.endswith(".safetensors"), "the weights file must end in .safetensors"
    cfg = json.load(open(a.weights[: -len(".safetensors")] + ".json"))
    if a.text is not None:
        ids = [cfg["chars"].index(ch) for ch in a.text]
    else:
        ids = [int(i) for i in a.tokens.split(",")]
    torch.set_num_threads(1)
    model = GPT(cfg)
    model.load_state_dict(load_safetensors(a.weights), strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(torch.tensor([ids], dtype=torch.long))[0]
    for row in logits.tolist():
        print(" ".join(f"{x:.9g}" for x in row))


if __name__ == "__main__":
    main()
