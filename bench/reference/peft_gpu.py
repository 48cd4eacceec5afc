#!/usr/bin/env python3
"""PyTorch + PEFT reference for the device check: the training step of ditto's CUDA engine benchmark.

A randomly initialised Qwen2 model of Qwen2.5-7B shapes (transformers' Qwen2ForCausalLM), bf16 on the
GPU, SDPA attention, gradient checkpointing, LoRA r16 (alpha 32) on q, k, v, o, gate, up, down (PEFT),
AdamW on the LoRA weights; micro-batches of `batch` sequences of `seq` tokens with a next-token target
at every position (the device check's engine side packs sessions into rows of the same length).
Prints one JSON line: {"tokens_per_s", "median_step_seconds", "batch", "seq", "peak_allocated_mib",
"torch", "transformers", "peft"}. The micro-batch halves until it fits.

Run: python3 bench/reference/peft_gpu.py [--shape 7b|0.5b|small] [--batch 8] [--seq 2048] [--steps 5] [--rank 16]
"""
import argparse
import json
import time

import peft
import torch
import transformers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--shape", choices=["7b", "0.5b", "small"], default="7b", help="Qwen2.5-7B, Qwen2.5-0.5B, or a tiny model to check the script")
    args = ap.parse_args()
    if args.shape == "small":
        shape = dict(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=4096)
    elif args.shape == "0.5b":
        shape = dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2, vocab_size=151936)
    else:
        shape = dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28, num_key_value_heads=4,
                     vocab_size=152064)
    config = transformers.Qwen2Config(**shape, max_position_embeddings=32768, rope_theta=1e6, rms_norm_eps=1e-6, tie_word_embeddings=args.shape == "0.5b",
                                      attn_implementation="sdpa", torch_dtype=torch.bfloat16)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = transformers.Qwen2ForCausalLM(config).to(torch.bfloat16)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    lora = peft.LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0,
                           target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    model = peft.get_peft_model(model, lora)
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()  # fp32 LoRA master weights, as ditto keeps them
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    batch = args.batch
    while batch >= 1:
        try:
            times = []
            ids = torch.randint(0, shape["vocab_size"], (batch, args.seq), device="cuda")
            for step in range(args.steps + 2):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    out = model(input_ids=ids, labels=ids)
                out.loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
                torch.cuda.synchronize()
                if step >= 2:
                    times.append(time.perf_counter() - t0)
            times.sort()
            median = times[len(times) // 2]
            print(json.dumps({"tokens_per_s": batch * args.seq / median, "median_step_seconds": median, "batch": batch, "seq": args.seq,
                              "peak_allocated_mib": torch.cuda.max_memory_allocated() / 2**20, "torch": torch.__version__,
                              "transformers": transformers.__version__, "peft": peft.__version__}))
            return
        except torch.OutOfMemoryError:
            opt.zero_grad(set_to_none=True)
            torch.cuda.empty_cache()
            batch //= 2
    raise SystemExit("not even one sequence fits")


if __name__ == "__main__":
    main()
