// npm run bench:train [-- --json FILE] [--steps 3] [--rounds 1] [--seq 512] [--rank 16] [--threads N] [--model fixture:qwen2-bench-0.5b-q8_0]
//                      [--device cpu|cuda] (cuda: the engine on the GPU, the reference PyTorch + PEFT on the same GPU, bench/reference/peft_gpu.py)
//                      [--kernels avx2,avx512f] [--precision fp32,bf16] [--memory-model fixture:qwen2-bench-0.5b-f32 | none] [--skip-reference]
//
// LoRA training speed and memory of the native engine against a PyTorch reference of the same
// model and step (bench/reference/torch_lora.py), measured in the same run: Qwen2.5-0.5B shapes,
// one sequence of --seq tokens with a target at every position, LoRA rank --rank on all seven
// projections, AdamW. Each side runs in its own process so its peak RSS is its own. Prints a
// table and the ratio. Memory is compared with both sides holding the same fp32 weights (the
// engine on --memory-model, an F32 fixture, once after the rounds), the --model (Q8_0) figure
// beside it. --kernels runs the engine once per named kernel in every round (DITTO_GEMM_KERNEL),
// interleaved with the reference, so a loaded machine slows all sides alike; --precision likewise
// runs it once per named precision (bf16: the weight products of F16/BF16 models in bf16; use
// an F16 --model such as fixture:qwen2-bench-0.5b-f16), every kernel with every precision. Each step is timed on its own and the median step is the figure on both
// sides (a shared machine has slow outliers; all step times are printed). GFLOP/s is given two
// ways: 4 x matrix parameters per token (forward + input gradient of the frozen weights: the work
// both sides must do) and, for the CPU engine, every product it ran (counted by the engine:
// weights, LoRA, attention, recompute), each against the machine's FMA peak measured in the same
// run (native/src/FmaPeak: register-only FMA chains on the same threads, the kernel's ISA).
import {spawnSync} from "node:child_process";
import {writeFileSync} from "node:fs";
import {cpus, loadavg} from "node:os";
import {performance} from "node:perf_hooks";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {loadNativeAddon} from "../src/engine/loadNativeAddon.js";
import {openEngine} from "../src/engine/openEngine.js";
import type {EngineDevice, EnginePrecision} from "../src/engine/TrainEngine.js";
import {enginePrecisions, loraTargets} from "../src/engine/TrainEngine.js";
import {resolveModelRef} from "../src/models/resolveModelRef.js";
import {physicalCores} from "../src/runtime/physicalCores.js";

const {values: args} = parseArgs({options: {
    json: {type: "string"},
    steps: {type: "string", default: "3"},
    seq: {type: "string", default: "512"},
    rank: {type: "string", default: "16"},
    threads: {type: "string"},
    model: {type: "string", default: "fixture:qwen2-bench-0.5b-q8_0"},
    "skip-reference": {type: "boolean", default: false},
    "engine-child": {type: "boolean", default: false},
    rounds: {type: "string", default: "1"},
    kernels: {type: "string", default: ""},
    precision: {type: "string", default: "fp32"},
    "memory-model": {type: "string", default: "fixture:qwen2-bench-0.5b-f32"},
    device: {type: "string", default: "cpu"}
}});
const device = args.device as EngineDevice;
if (!["cpu", "cuda", "auto", "cuda-emulated"].includes(device)) throw new Error(`--device must be cpu, cuda or auto, got ${args.device}`);
const precisions = args.precision!.split(",") as EnginePrecision[];
for (const p of precisions) if (!enginePrecisions.includes(p)) throw new Error(`--precision takes ${enginePrecisions.join(", ")} (comma-separated), got ${p}`);
const steps = Math.max(1, Number(args.steps));
const seq = Number(args.seq);
const rank = Number(args.rank);
const threads = args.threads === undefined ? physicalCores() : Number(args.threads);

type SideResult = {tokens_per_s: number, step_seconds: number, step_seconds_all?: number[], peak_rss_mb: number, cpu_seconds_per_step?: number,
    executed_gflop_per_step?: number};

function median(xs: readonly number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
}

/** The engine side, in a child process: open, one warm-up step, then `steps` timed steps. */
async function engineChild(): Promise<void> {
    const modelPath = resolveModelRef(args.model!);
    const engine = await openEngine({modelPath, lora: {rank, alpha: 2 * rank, dropout: 0, targets: [...loraTargets]}, threads, seed: 1, device,
        precision: precisions[0]});
    const {info} = engine;
    const tokens = new Int32Array(seq + 1);
    for (let i = 0; i < tokens.length; i++) tokens[i] = (i * 7919 + 13) % info.nVocab;
    const batch = {batch: 1, seqLen: seq, tokens: tokens.subarray(0, seq), targets: tokens.slice(1), segments: new Int32Array(seq)};
    const step = async () => {
        const r = await engine.accumulate(batch);
        await engine.optimizerStep({lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clip: 1, gradScale: r.tokens});
    };
    await step();
    // each step timed on its own; the median step is the figure (a shared machine has slow outliers)
    const addon = loadNativeAddon();
    const flops0 = addon.gemmFlops();
    const cpu0 = process.cpuUsage();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        await step();
        times.push((performance.now() - t0) / 1000);
    }
    const dt = median(times);
    const cpu = process.cpuUsage(cpu0);
    const flops = addon.gemmFlops() - flops0;
    engine.close();
    const matrixParams = info.nLayer * (info.nEmbd * (info.nHead + 2 * info.nHeadKv) * info.headDim +
        info.nHead * info.headDim * info.nEmbd + 3 * info.nEmbd * info.nFf) + info.nVocab * info.nEmbd;
    const out: SideResult & {matrix_params: number, kernel: string} = {
        tokens_per_s: seq / dt, step_seconds: dt, step_seconds_all: times, peak_rss_mb: process.resourceUsage().maxRSS / 1024,
        cpu_seconds_per_step: (cpu.user + cpu.system) / 1e6 / steps, matrix_params: matrixParams,
        // the CUDA engine's products are not counted here
        executed_gflop_per_step: info.device && info.device.kind !== "cpu" ? undefined : flops / 1e9 / steps,
        kernel: info.device && info.device.kind !== "cpu" ? `${info.device.kind} ${info.device.name} (${info.device.gemm})` : info.device?.gemm ?? loadNativeAddon().gemmKernel()
    };
    process.stdout.write(JSON.stringify(out) + "\n");
}

function spread(times: readonly number[] | undefined): string {
    return times ? times.map((t) => t.toFixed(1)).join(" / ") : "-";
}

function lastJsonLine(stdout: string): unknown {
    const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1);
    return line === undefined ? undefined : JSON.parse(line);
}

type EngineResult = SideResult & {matrix_params: number, kernel: string};

/** An engine configuration: kernel "" leaves the choice to the engine. */
type Variant = {kernel: string, precision: EnginePrecision};

/** One engine run in a child process. */
function measureEngine({kernel, precision}: Variant, model = args.model!): EngineResult {
    const self = fileURLToPath(import.meta.url);
    const childArgs = ["--import", "tsx", self, "--engine-child", "--steps", String(steps), "--seq", String(seq), "--rank", String(rank),
        "--threads", String(threads), "--model", model, "--device", device, "--precision", precision];
    const env = kernel ? {...process.env, DITTO_GEMM_KERNEL: kernel} : process.env;
    const engineRun = spawnSync(process.execPath, childArgs, {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24, env});
    const engine = lastJsonLine(engineRun.stdout) as EngineResult | undefined;
    if (!engine) throw new Error(`engine run failed (exit ${engineRun.status})`);
    return engine;
}

/** The PyTorch side, or why there is none. */
function measureReference(): {reference?: SideResult, note: string} {
    if (args["skip-reference"]) return {note: "skipped (--skip-reference)"};
    const python = process.env.DITTO_PYTHON ?? "/usr/bin/python3";
    const probe = spawnSync(python, ["-c", "import torch"], {encoding: "utf8"});
    if (probe.status !== 0)
        return {note: `PyTorch is MISSING (${python} cannot import torch): install it with ` +
            "`apt-get install -y python3-torch libopenblas0-pthread` (or set DITTO_PYTHON); no reference measured"};
    // on a GPU the reference is PyTorch + PEFT on the same GPU (bf16, same shapes, seq, batch 1 and rank)
    const run = device === "cpu"
        ? spawnSync(python, [fileURLToPath(new URL("./reference/torch_lora.py", import.meta.url)), "--seq", String(seq), "--rank", String(rank),
            "--alpha", String(2 * rank), "--steps", String(steps), "--threads", String(threads)], {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"]})
        : spawnSync(python, [fileURLToPath(new URL("./reference/peft_gpu.py", import.meta.url)), "--shape", "0.5b", "--batch", "1", "--seq", String(seq),
            "--rank", String(rank), "--steps", String(steps)], {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"]});
    const reference = lastJsonLine(run.stdout) as SideResult | undefined;
    return reference ? {reference, note: ""} : {note: `PyTorch reference failed (exit ${run.status})`};
}

type Round = {engine: EngineResult, reference?: SideResult, note: string, ratio: number};

/** The round with the median ratio (the lower middle one for an even count). */
function medianRound(rounds: Round[]): Round {
    return [...rounds].sort((a, b) => (a.ratio || 0) - (b.ratio || 0))[Math.floor((rounds.length - 1) / 2)]!;
}

/** The FMA peak of the ISA a kernel runs on, measured now on the benchmark's threads (null: none, or not a CPU kernel). */
type Peak = {isa: string, gflops: number, perCpuSecond: number};
const peaks = new Map<string, Peak | null>();
function peakFor(kernel: string): Peak | null {
    const isa = kernel === "avx512bf16" ? "avx512bf16" : kernel === "avx512f" || kernel === "avx2" ? kernel : null;
    if (isa === null) return null;
    if (!peaks.has(isa)) {
        const p = loadNativeAddon().fmaPeak(isa as "avx2" | "avx512f" | "avx512bf16", threads);
        // the threads' sum per CPU-second: what the cores give when the process has them (a wall
        // figure taken while a neighbour runs would flatter the engine's ratio)
        peaks.set(isa, p ? {isa, gflops: p.perCpuSecond * threads, perCpuSecond: p.perCpuSecond} : null);
    }
    return peaks.get(isa)!;
}

function printSide(rounds: Round[], memory: EngineResult | undefined, memoryModel: string): Record<string, unknown> {
    const shown = medianRound(rounds);
    const {engine, reference} = shown;
    const gflops = 4 * engine.matrix_params * engine.tokens_per_s / 1e9;
    const executed = engine.executed_gflop_per_step === undefined ? undefined : engine.executed_gflop_per_step / engine.step_seconds;
    // bf16 runs the frozen weights' products in bf16 and the rest (LoRA, attention) in fp32: both peaks are shown
    const peak = peakFor(engine.kernel === "avx512bf16" ? "avx512f" : engine.kernel);
    const bf16Peak = engine.kernel === "avx512bf16" ? peakFor("avx512bf16") : null;
    const pct = (x: number, p: Peak | null) => p ? ` (${(100 * x / p.gflops).toFixed(0)}% of ${p.isa} peak)` : "";
    const rows: [string, string, string][] = [
        ["", `engine (${engine.kernel})`, "PyTorch reference"],
        ["tokens/s", engine.tokens_per_s.toFixed(1), reference ? reference.tokens_per_s.toFixed(1) : "-"],
        ["step seconds (median)", engine.step_seconds.toFixed(2), reference ? reference.step_seconds.toFixed(2) : "-"],
        ["each step", spread(engine.step_seconds_all), spread(reference?.step_seconds_all)],
        ["CPU seconds/step", engine.cpu_seconds_per_step!.toFixed(1), reference?.cpu_seconds_per_step?.toFixed(1) ?? "-"],
        ["GFLOP/s (4 x matrix params/token)", gflops.toFixed(1) + pct(gflops, peak), reference ? (4 * engine.matrix_params * reference.tokens_per_s / 1e9).toFixed(1) : "-"],
        ...(executed === undefined ? [] : [["GFLOP/s executed (every product, engine's count)", executed.toFixed(1) + pct(executed, peak), "-"] as [string, string, string],
            ["executed GFLOP per CPU-second, per thread", (engine.executed_gflop_per_step! / engine.cpu_seconds_per_step!).toFixed(1) +
                (peak ? ` (${(100 * engine.executed_gflop_per_step! / engine.cpu_seconds_per_step! / peak.perCpuSecond).toFixed(0)}%)` : ""), "-"] as [string, string, string]]),
        ...(peak ? [[`FMA peak GFLOP/s, this run (${peak.isa}, ${threads} threads)`, peak.gflops.toFixed(1), "-"] as [string, string, string]] : []),
        ...(bf16Peak ? [[`FMA peak GFLOP/s, this run (${bf16Peak.isa}, ${threads} threads)`,
            `${bf16Peak.gflops.toFixed(1)} (4 x params: ${(100 * gflops / bf16Peak.gflops).toFixed(0)}%)`, "-"] as [string, string, string]] : []),
        [`peak RSS MB (${args.model})`, engine.peak_rss_mb.toFixed(0), reference ? reference.peak_rss_mb.toFixed(0) : "-"]
    ];
    if (memory) rows.push([`peak RSS MB (${memoryModel})`, memory.peak_rss_mb.toFixed(0), reference ? reference.peak_rss_mb.toFixed(0) : "-"]);
    if (rounds.length > 1) console.log(`kernel ${engine.kernel}: the round with the median ratio of ${rounds.length} (ratios ${rounds.map((r) => r.ratio.toFixed(2)).join(", ")}):`);
    for (const [a, b, c] of rows) console.log(`${a.padEnd(52)}${b.padStart(28)} ${c.padStart(20)}`);
    if (reference) {
        console.log(`ratio engine/reference (${engine.kernel}): tokens/s ${shown.ratio.toFixed(2)}x (target >= 3x with avx512f, >= 2x with avx2)`);
        // the same weights on both sides: the engine's F32 run against the fp32 reference
        if (memory) console.log(`peak RSS, same fp32 weights: ${(memory.peak_rss_mb / reference.peak_rss_mb).toFixed(2)}x (target <= 0.6x); ` +
            `${args.model}: ${(engine.peak_rss_mb / reference.peak_rss_mb).toFixed(2)}x`);
        // on a shared machine wall time depends on the neighbours; CPU time per step much less so
        if (reference.cpu_seconds_per_step)
            console.log(`CPU seconds per step, reference/engine: ${(reference.cpu_seconds_per_step / engine.cpu_seconds_per_step!).toFixed(2)}x`);
    } else {
        console.log(`reference: ${shown.note}`);
    }
    return {
        kernel: engine.kernel,
        engine_tokens_per_s: engine.tokens_per_s,
        reference_tokens_per_s: reference?.tokens_per_s ?? null,
        ratio: reference ? shown.ratio : null,
        engine_gflops: gflops,
        engine_gflops_executed: executed ?? null,
        fma_peak_gflops: peak?.gflops ?? null,
        fma_peak_isa: peak?.isa ?? null,
        fma_peak_bf16_gflops: bf16Peak?.gflops ?? null,
        engine_peak_rss_mb: engine.peak_rss_mb,
        engine_peak_rss_mb_f32: memory?.peak_rss_mb ?? null,
        reference_peak_rss_mb: reference?.peak_rss_mb ?? null,
        engine_step_seconds: engine.step_seconds_all,
        reference_step_seconds: reference?.step_seconds_all ?? null,
        engine_cpu_seconds_per_step: engine.cpu_seconds_per_step,
        reference_cpu_seconds_per_step: reference?.cpu_seconds_per_step ?? null,
        rounds: rounds.length > 1 ? rounds.map((r) => ({engine_tokens_per_s: r.engine.tokens_per_s, reference_tokens_per_s: r.reference?.tokens_per_s ?? null,
            ratio: r.reference ? r.ratio : null})) : undefined
    };
}

async function main(): Promise<void> {
    resolveModelRef(args.model!);  // make the fixture here, outside the measured child
    const memoryModel = args["memory-model"]!;
    if (memoryModel !== "none") resolveModelRef(memoryModel);
    const kernels = args.kernels ? args.kernels.split(",") : [""];
    const variants: Variant[] = kernels.flatMap((kernel) => precisions.map((precision) => ({kernel, precision})));
    const load0 = loadavg()[0]!;
    // the FMA peaks first, before any child runs
    if (device === "cpu")
        for (const v of variants) {
            const isa = v.kernel || loadNativeAddon().gemmKernel();
            peakFor(isa);
            if (v.precision === "bf16") peakFor("avx512bf16");
        }
    // peak memory does not depend on the round: one run on the F32 base, the last kernel, first
    // (so an interrupted run still has it)
    const memory = memoryModel === "none" ? undefined : measureEngine(variants.at(-1)!, memoryModel);
    if (memory) console.log(`memory run (${memoryModel}, ${memory.kernel}): peak RSS ${memory.peak_rss_mb.toFixed(0)} MB, ${memory.tokens_per_s.toFixed(1)} tokens/s`);
    // --rounds N: each kernel's engine run and the reference alternate N times
    const rounds = new Map<Variant, Round[]>(variants.map((v) => [v, []]));
    for (let r = 0; r < Math.max(1, Number(args.rounds)); r++) {
        const engines = variants.map((v) => measureEngine(v));
        const {reference, note} = measureReference();
        engines.forEach((engine, i) => {
            const ratio = reference ? engine.tokens_per_s / reference.tokens_per_s : Number.NaN;
            rounds.get(variants[i]!)!.push({engine, reference, note, ratio});
        });
        const side = (x: SideResult) => `${x.tokens_per_s.toFixed(1)} tokens/s, ${x.cpu_seconds_per_step?.toFixed(1) ?? "-"} CPU s/step, ${x.peak_rss_mb.toFixed(0)} MB`;
        console.log(`round ${r + 1}: ${engines.map((e) => `engine ${e.kernel} ${side(e)}`).join("; ")}; reference ${reference ? side(reference) : "-"}`);
    }
    const load1 = loadavg()[0]!;
    console.log(`bench:train  model ${args.model}  seq ${seq}  LoRA r${rank} on ${loraTargets.join(",")}  threads ${threads}  ` +
        `steps ${steps} (+1 warm-up)  load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}`);
    console.log(`CPU ${cpus()[0]?.model.trim() ?? "unknown"} (${cpus().length} logical)  kernels ${[...rounds.values()].map((r) => r[0]!.engine.kernel).join(", ")}`);
    const sides = [...rounds.values()].map((r) => printSide(r, memory, memoryModel));
    if (args.json) {
        writeFileSync(args.json, JSON.stringify({
            ...sides.at(-1), kernels: sides, cpu: cpus()[0]?.model.trim() ?? null, load_average: [load0, load1],
            memory_model: memoryModel === "none" ? null : memoryModel, memory_model_tokens_per_s: memory?.tokens_per_s ?? null
        }, null, 2) + "\n");
    }
}

if (args["engine-child"]) await engineChild();
else await main();
