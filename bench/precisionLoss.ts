// npm run bench:precision-loss [-- --model fixture:qwen2-wide-f16] [--steps 40] [--seq 128] [--lr 1e-3] [--threads N] [--json FILE]
//
// The effect of --precision bf16 on a training run: the same LoRA run (same model, seed, batches,
// dropout masks, optimizer) once with fp32 products and once with bf16 weight products, side by
// side. Each step is one micro-batch of 2 sequences from a fixed set of 8 (tokens drawn from 512
// ids, so the loss can fall), LoRA r16 on all seven projections, AdamW. Prints the loss of every
// step on both sides, the per-step difference and the final losses; the reference is the fp32 run.
import {writeFileSync} from "node:fs";
import {parseArgs} from "node:util";
import {openEngine} from "../src/engine/openEngine.js";
import {loraTargets, type EnginePrecision, type TrainBatch} from "../src/engine/TrainEngine.js";
import {resolveModelRef} from "../src/models/resolveModelRef.js";
import {physicalCores} from "../src/runtime/physicalCores.js";

const {values: args} = parseArgs({options: {
    model: {type: "string", default: "fixture:qwen2-wide-f16"},
    steps: {type: "string", default: "40"},
    seq: {type: "string", default: "128"},
    lr: {type: "string", default: "1e-3"},
    threads: {type: "string"},
    json: {type: "string"}
}});
const steps = Number(args.steps), seq = Number(args.seq), lr = Number(args.lr);
const threads = args.threads === undefined ? physicalCores() : Number(args.threads);

/** Micro-batch i: sequences 2i and 2i + 1 (mod 8) of a fixed pseudo-random set. */
function batchAt(i: number): TrainBatch {
    const tokens = new Int32Array(2 * seq), targets = new Int32Array(2 * seq), segments = new Int32Array(2 * seq);
    for (let r = 0; r < 2; r++) {
        const s = (2 * i + r) % 8;
        for (let t = 0; t < seq; t++) tokens[r * seq + t] = 1000 + ((s * 7919 + t * 104729 + ((t * t) % 13)) % 512);
        for (let t = 0; t < seq; t++) targets[r * seq + t] = t + 1 < seq ? tokens[r * seq + t + 1]! : -1;
    }
    return {batch: 2, seqLen: seq, tokens, targets, segments};
}

async function run(modelPath: string, precision: EnginePrecision): Promise<{losses: number[], kernel: string, cpuSeconds: number}> {
    const engine = await openEngine({modelPath, lora: {rank: 16, alpha: 32, dropout: 0.05, targets: [...loraTargets]}, threads, seed: 1, device: "cpu", precision});
    const losses: number[] = [];
    const cpu0 = process.cpuUsage();
    try {
        for (let i = 0; i < steps; i++) {
            const r = await engine.accumulate(batchAt(i));
            losses.push(r.lossSum / r.tokens);
            await engine.optimizerStep({lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clip: 1, gradScale: r.tokens});
        }
        const cpu = process.cpuUsage(cpu0);
        return {losses, kernel: engine.info.device?.gemm ?? "?", cpuSeconds: (cpu.user + cpu.system) / 1e6};
    } finally {
        engine.close();
    }
}

const modelPath = resolveModelRef(args.model!);
const fp32 = await run(modelPath, "fp32");
const bf16 = await run(modelPath, "bf16");
console.log(`bench:precision-loss  model ${args.model}  ${steps} steps of 2 x ${seq} tokens  LoRA r16 all targets, dropout 0.05, lr ${lr}, threads ${threads}`);
console.log(`kernels: fp32 side ${fp32.kernel}, bf16 side ${bf16.kernel}; CPU seconds per step: fp32 ${(fp32.cpuSeconds / steps).toFixed(2)}, bf16 ${(bf16.cpuSeconds / steps).toFixed(2)}`);
console.log("step   loss fp32   loss bf16   bf16 - fp32");
const diffs = fp32.losses.map((l, i) => bf16.losses[i]! - l);
fp32.losses.forEach((l, i) => console.log(`${String(i + 1).padStart(4)} ${l.toFixed(5).padStart(11)} ${bf16.losses[i]!.toFixed(5).padStart(11)} ${diffs[i]!.toExponential(2).padStart(13)}`));
const absMax = Math.max(...diffs.map(Math.abs)), absMean = diffs.reduce((s, d) => s + Math.abs(d), 0) / diffs.length;
const first = fp32.losses[0]!, last = fp32.losses.at(-1)!, lastB = bf16.losses.at(-1)!;
console.log(`loss fell ${first.toFixed(4)} -> ${last.toFixed(4)} (fp32), ${bf16.losses[0]!.toFixed(4)} -> ${lastB.toFixed(4)} (bf16); ` +
    `per-step |bf16 - fp32|: max ${absMax.toExponential(2)}, mean ${absMean.toExponential(2)} ` +
    `(${(absMax / (first - last) * 100).toFixed(2)}% of the fp32 fall at most); final ${(lastB - last).toExponential(2)}`);
if (args.json)
    writeFileSync(args.json, JSON.stringify({model: args.model, steps, seq, lr, fp32: fp32.losses, bf16: bf16.losses, max_abs_diff: absMax, mean_abs_diff: absMean}, null, 2) + "\n");
