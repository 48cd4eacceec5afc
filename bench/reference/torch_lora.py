#!/usr/bin/env python3
"""PyTorch reference for `npm run bench:train`: the same LoRA training step as the native engine.

A Qwen2-architecture decoder (Qwen2.5-0.5B shapes by default) in plain PyTorch with frozen fp32
base weights, LoRA (rank r, alpha) on q, k, v, o, gate, up, down, one sequence of seq_len tokens
with a next-token target at every position, AdamW on the LoRA weights. Weights are random: the
speed of the step does not depend on their values. Prints one JSON line:
  {"tokens_per_s", "step_seconds", "cpu_seconds_per_step", "peak_rss_mb", "threads", "torch"}

Run: /usr/bin/python3 bench/reference/torch_lora.py --seq 512 --rank 16 --steps 3 --threads 2
Needs Debian's python3-torch (apt-get install -y python3-torch libopenblas0-pthread).
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn.functional as F


class LoraLinear(torch.nn.Module):
    """y = x W^T + b + (alpha / r) * B A x; W, b frozen; A ~ kaiming-uniform, B = 0 (as PEFT)."""

    def __init__(self, n_in, n_out, rank, alpha, bias=False):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(n_out, n_in) * 0.02, requires_grad=False)
        self.bias = torch.nn.Parameter(torch.zeros(n_out), requires_grad=False) if bias else None
        self.lora_a = torch.nn.Parameter(torch.empty(rank, n_in).uniform_(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)))
        self.lora_b = torch.nn.Parameter(torch.zeros(n_out, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return F.linear(x, self.weight, self.bias) + self.scale * F.linear(F.linear(x, self.lora_a), self.lora_b)


class RMSNorm(torch.nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(n), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_neox(x, cos, sin):
    # x (T, H, D): rotate pairs (i, i + D/2)
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Block(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        C, H, Hkv, D, Fd, r, al = a.n_embd, a.n_head, a.n_head_kv, a.head_dim, a.n_ff, a.rank, a.alpha
        self.H, self.Hkv, self.D = H, Hkv, D
        self.attn_norm = RMSNorm(C, 1e-6)
        self.q = LoraLinear(C, H * D, r, al, bias=True)
        self.k = LoraLinear(C, Hkv * D, r, al, bias=True)
        self.v = LoraLinear(C, Hkv * D, r, al, bias=True)
        self.o = LoraLinear(H * D, C, r, al)
        self.ffn_norm = RMSNorm(C, 1e-6)
        self.gate = LoraLinear(C, Fd, r, al)
        self.up = LoraLinear(C, Fd, r, al)
        self.down = LoraLinear(Fd, C, r, al)

    def forward(self, x, cos, sin, mask):
        T = x.shape[0]
        h = self.attn_norm(x)
        q = rope_neox(self.q(h).view(T, self.H, self.D), cos, sin)
        k = rope_neox(self.k(h).view(T, self.Hkv, self.D), cos, sin)
        v = self.v(h).view(T, self.Hkv, self.D)
        g = self.H // self.Hkv
        k = k.repeat_interleave(g, dim=1)
        v = v.repeat_interleave(g, dim=1)
        s = torch.einsum("thd,shd->hts", q, k) / math.sqrt(self.D) + mask
        att = torch.einsum("hts,shd->thd", torch.softmax(s, dim=-1), v).reshape(T, self.H * self.D)
        x = x + self.o(att)
        h = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--alpha", type=float, default=32)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--n-layer", type=int, default=24)
    p.add_argument("--n-embd", type=int, default=896)
    p.add_argument("--n-head", type=int, default=14)
    p.add_argument("--n-head-kv", type=int, default=2)
    p.add_argument("--head-dim", type=int, default=64)
    p.add_argument("--n-ff", type=int, default=4864)
    p.add_argument("--n-vocab", type=int, default=151936)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    embd = torch.nn.Parameter(torch.randn(a.n_vocab, a.n_embd) * 0.02, requires_grad=False)  # tied head
    blocks = torch.nn.ModuleList([Block(a) for _ in range(a.n_layer)])
    out_norm = RMSNorm(a.n_embd, 1e-6)
    params = [p_ for p_ in blocks.parameters() if p_.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)

    T = a.seq
    pos = torch.arange(T, dtype=torch.float32)
    inv = 1e6 ** (-torch.arange(0, a.head_dim, 2, dtype=torch.float32) / a.head_dim)
    ang = pos[:, None] * inv[None, :]
    cos, sin = ang.cos()[:, None, :], ang.sin()[:, None, :]
    mask = torch.full((T, T), float("-inf")).triu(1)
    tokens = torch.randint(0, a.n_vocab, (T + 1,))

    def step():
        x = embd[tokens[:T]]
        for b in blocks:
            x = b(x, cos, sin, mask)
        logits = F.linear(out_norm(x), embd)
        loss = F.cross_entropy(logits, tokens[1:], reduction="mean")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    step()  # warm-up: allocator, thread pool
    # each step timed on its own; the median step is the figure (a shared machine has slow outliers)
    times = []
    c0 = time.process_time()
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    cpu = (time.process_time() - c0) / a.steps
    dt = sorted(times)[len(times) // 2]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tokens_per_s": T / dt, "step_seconds": dt, "step_seconds_all": times, "peak_rss_mb": rss_mb, "cpu_seconds_per_step": cpu,
                      "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
