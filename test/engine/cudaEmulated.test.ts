// The CUDA engine against the CPU engine, run on the CPU: the same kernel sources compiled as host
// C++ through the emulator (build/Release/libditto_cuda_emu.so). The CUDA engine computes in bf16
// with fp32 accumulation, the CPU engine in fp32, so values agree to bf16 precision; what must
// agree exactly (initial weights, dropout masks, determinism, resume) is checked bit for bit.
import {test} from "node:test";
import assert from "node:assert/strict";
import {openEngine} from "../../src/engine/openEngine.js";
import type {NativeTrainEngine} from "../../src/engine/NativeTrainEngine.js";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";
import {loraTargets, type EngineDevice, type OptimizerSettings, type TrainBatch} from "../../src/engine/TrainEngine.js";
import type {FixtureArch, FixtureType} from "../../src/fixtures/fixtureSpecs.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {kQuantModel} from "../adapter/kQuantModel.js";

const adamw: OptimizerSettings = {lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clip: 1, gradScale: 1};
// bf16 keeps 8 significant bits (a rounding is off by up to 2^-8 = 3.9e-3 relative), and a LoRA gradient is a
// sum over tokens whose terms largely cancel in a random model, which magnifies that rounding:
// measured against the fp32 CPU engine, the relative L2 error is ~1.5-2e-2 over all LoRA gradients,
// 1.3-3.3e-2 per tensor (worst in q and k, where the attention backward's P * (dP - Delta) also
// subtracts nearly equal terms), and single elements differ by up to 3.5e-2 of their tensor's
// largest value.
const gradTolerance = 2e-2;
const tensorTolerance = 5e-2;
const maxTolerance = 6e-2;

function assertClose(e: {global: number, l2: number, max: number}): void {
    assert.ok(e.global < gradTolerance, `relative L2 error over all LoRA gradients ${e.global} above ${gradTolerance}`);
    assert.ok(e.l2 < tensorTolerance, `relative L2 error of a LoRA tensor ${e.l2} above ${tensorTolerance}`);
    assert.ok(e.max < maxTolerance, `largest difference ${e.max} of the tensor's largest value, above ${maxTolerance}`);
}

// The engine's products go through the cuBLASLt host stand-in (NVIDIA's column-major semantics,
// the path a GPU with cuBLASLt takes); the own WMMA kernel is checked on its own in the kernel tests
// (test/cuda), as emulating it over a 151k-token vocabulary would take minutes.
process.env.DITTO_CUBLASLT ??= "emulated";
const emulated = loadNativeAddon().cudaProbe(true);
const skip = emulated.available ? false : `emulated CUDA engine not built: ${emulated.reason}`;
if (skip && process.env.CI === "true") throw new Error(String(skip));

const a = [151644, 872, 198, 9707, 11, 1879, 0, 151645];
const b = [151644, 77091, 198, 40, 1079, 264, 18862, 13, 151645, 198, 3838, 374, 697, 829, 30];

/** Two rows: row 0 packs two sessions, row 1 one session then padding. Next-token targets within a segment. */
function batch(): TrainBatch {
    const seqLen = a.length + b.length;
    const rows = [
        {tokens: [...a, ...b], segments: [...a.map(() => 0), ...b.map(() => 1)]},
        {tokens: [...b, ...a.map(() => 0)], segments: [...b.map(() => 0), ...a.map(() => -1)]}
    ];
    const tokens = new Int32Array(2 * seqLen), targets = new Int32Array(2 * seqLen), segments = new Int32Array(2 * seqLen);
    rows.forEach((row, r) => {
        for (let i = 0; i < seqLen; i++) {
            const at = r * seqLen + i;
            tokens[at] = row.tokens[i]!;
            segments[at] = row.segments[i]!;
            const sameNext = i + 1 < seqLen && row.segments[i + 1] === row.segments[i] && row.segments[i]! >= 0;
            targets[at] = sameNext ? row.tokens[i + 1]! : -1;
        }
    });
    return {batch: 2, seqLen, tokens, targets, segments};
}

type OpenOptions = {arch: FixtureArch, type?: FixtureType, dropout?: number, activationMemoryMb?: number};

function open(device: EngineDevice, o: OpenOptions): Promise<NativeTrainEngine> {
    return openEngine({modelPath: fixtureModel(o.arch, o.type ?? "f32", "tiny"), device, threads: 2, seed: 5,
        activationMemoryMb: o.activationMemoryMb, lora: {rank: 4, alpha: 8, dropout: o.dropout ?? 0, targets: [...loraTargets]}});
}

/** Both engines with the same non-zero A and B (at init B = 0, which hides every gradient of A). */
async function pair(o: OpenOptions): Promise<{cpu: NativeTrainEngine, gpu: NativeTrainEngine}> {
    const cpu = await open("cpu", o);
    const gpu = await open("cuda-emulated", o);
    const state = cpu.getState();
    assert.deepEqual(gpu.getState().weights, state.weights, "both engines must initialise LoRA identically");
    for (let i = 0; i < state.weights.length; i++) state.weights[i] = state.weights[i]! + Math.sin(i) * 0.05;
    cpu.setState(state);
    gpu.setState(state);
    return {cpu, gpu};
}

/**
 * Per LoRA tensor: the relative L2 error ||gpu - cpu|| / ||cpu|| and the largest difference over
 * the tensor's largest CPU value. Prints the worst of each and the worst per target.
 */
function compareGradients(label: string, cpu: NativeTrainEngine, gpu: NativeTrainEngine): {global: number, l2: number, max: number} {
    const gc = cpu.gradients(), gg = gpu.gradients();
    assert.equal(gg.length, gc.length);
    let all2 = 0, allRef2 = 0;
    for (let i = 0; i < gc.length; i++) { all2 += (gg[i]! - gc[i]!) ** 2; allRef2 += gc[i]! ** 2; }
    const global = Math.sqrt(all2 / allRef2);
    let worstL2 = 0, worstMax = 0, worstAt = "";
    const perTarget = new Map<string, number>();
    for (const p of loraSlices(cpu)) {
        let diff = 0, ref = 0, d2 = 0, r2 = 0;
        for (let i = p.start; i < p.end; i++) {
            const d = gg[i]! - gc[i]!;
            diff = Math.max(diff, Math.abs(d));
            ref = Math.max(ref, Math.abs(gc[i]!));
            d2 += d * d;
            r2 += gc[i]! * gc[i]!;
        }
        assert.ok(ref > 0, `${label}: CPU gradient of ${p.name} is all zero, the comparison would prove nothing`);
        const l2 = Math.sqrt(d2 / r2), max = diff / ref;
        if (!(l2 <= worstL2)) { worstL2 = l2; worstAt = p.name; }
        worstMax = Math.max(worstMax, max);
        const target = p.name.split(".")[2]!;
        perTarget.set(target, Math.max(perTarget.get(target) ?? 0, l2));
    }
    console.log(`${label}: LoRA gradients vs CPU: all LoRA parameters relative L2 ${global.toExponential(2)}; per tensor: worst relative L2 ${worstL2.toExponential(2)} (${worstAt}), worst max-difference ${worstMax.toExponential(2)}; ` +
        `per target L2 ${[...perTarget].map(([t, v]) => `${t} ${v.toExponential(1)}`).join(", ")}`);
    return {global, l2: worstL2, max: worstMax};
}

/** Each LoRA tensor's span in the engines' one buffer: pairs in order, A (rank x nIn) then B (nOut x rank). */
function loraSlices(e: NativeTrainEngine): {name: string, start: number, end: number}[] {
    const out: {name: string, start: number, end: number}[] = [];
    let at = 0;
    for (const p of e.loraPairs()) {
        out.push({name: `blk.${p.layer}.${p.target}.lora_a`, start: at, end: at + p.a.length});
        at += p.a.length;
        out.push({name: `blk.${p.layer}.${p.target}.lora_b`, start: at, end: at + p.b.length});
        at += p.b.length;
    }
    assert.equal(at, e.info.loraParameters);
    return out;
}

for (const arch of ["llama", "qwen2", "qwen3"] as const) {
    test(`emulated CUDA engine: loss and LoRA gradients of a packed step match the CPU engine (tiny ${arch})`, {skip}, async () => {
        const {cpu, gpu} = await pair({arch});
        try {
            assert.equal(gpu.info.device?.kind, "cuda-emulated");
            const rc = await cpu.accumulate(batch());
            const rg = await gpu.accumulate(batch());
            assert.equal(rg.tokens, rc.tokens);
            const lossDiff = Math.abs(rg.lossSum / rg.tokens - rc.lossSum / rc.tokens);
            console.log(`${arch}: loss cpu ${(rc.lossSum / rc.tokens).toFixed(5)} gpu ${(rg.lossSum / rg.tokens).toFixed(5)}`);
            assert.ok(lossDiff < 1e-2, `loss differs by ${lossDiff}`);
            assertClose(compareGradients(arch, cpu, gpu));
        } finally {
            cpu.close();
            gpu.close();
        }
    });
}

test("emulated CUDA engine: five AdamW steps give the CPU engine's losses (tiny qwen2)", {skip}, async () => {
    const {cpu, gpu} = await pair({arch: "qwen2"});
    try {
        const lc: number[] = [], lg: number[] = [];
        for (let step = 0; step < 5; step++) {
            const rc = await cpu.accumulate(batch());
            const rg = await gpu.accumulate(batch());
            lc.push(rc.lossSum / rc.tokens);
            lg.push(rg.lossSum / rg.tokens);
            const nc = await cpu.optimizerStep({...adamw, gradScale: rc.tokens});
            const ng = await gpu.optimizerStep({...adamw, gradScale: rg.tokens});
            assert.ok(Math.abs(nc.gradNorm - ng.gradNorm) < 2e-2 * nc.gradNorm, `grad norm cpu ${nc.gradNorm} gpu ${ng.gradNorm}`);
        }
        console.log(`cpu ${lc.map((x) => x.toFixed(4)).join(" ")}\ngpu ${lg.map((x) => x.toFixed(4)).join(" ")}`);
        assert.ok(lc[4]! < lc[0]!, "the CPU loss must fall for the comparison to mean anything");
        for (let i = 0; i < 5; i++) assert.ok(Math.abs(lc[i]! - lg[i]!) < 1e-2, `step ${i}: cpu ${lc[i]} gpu ${lg[i]}`);
    } finally {
        cpu.close();
        gpu.close();
    }
});

test("emulated CUDA engine: dropout masks are the CPU engine's (tiny qwen3, p = 0.3)", {skip}, async () => {
    const {cpu, gpu} = await pair({arch: "qwen3", dropout: 0.3});
    const plain = await open("cuda-emulated", {arch: "qwen3"});
    try {
        plain.setState(cpu.getState());
        await cpu.accumulate(batch());
        await gpu.accumulate(batch());
        await plain.accumulate(batch());
        assertClose(compareGradients("dropout", cpu, gpu));
        // without the same masks the gradients are far apart: the check above has teeth
        assert.ok(compareGradients("no dropout vs dropout", cpu, plain).global > 10 * gradTolerance);
    } finally {
        cpu.close();
        gpu.close();
        plain.close();
    }
});

// Q4_0 (no min, 4 bits) and Q5_1 (min, fifth bits) take every branch of the 32-value block decoder
for (const type of ["q8_0", "q4_0", "q5_1"] as const) {
    test(`emulated CUDA engine: a ${type.toUpperCase()} base stays quantized and matches the CPU engine (tiny qwen2)`, {skip}, async () => {
        const {cpu, gpu} = await pair({arch: "qwen2", type});
        try {
            await cpu.accumulate(batch());
            await gpu.accumulate(batch());
            assertClose(compareGradients(type, cpu, gpu));
        } finally {
            cpu.close();
            gpu.close();
        }
    });
}

// A layer mixing Q4_K/Q6_K with F32 matrices: every matrix, the converted ones too, must land in the
// dequantized slot, where the fused q|k|v and gate|up products read them side by side.
test("emulated CUDA engine: a layer mixing K-quant and F32 matrices matches the CPU engine (qwen2)", {skip}, async () => {
    const modelPath = kQuantModel("mixed");
    const lora = {rank: 4, alpha: 8, dropout: 0, targets: [...loraTargets]};
    const cpu = await openEngine({modelPath, device: "cpu", threads: 2, seed: 5, lora});
    const gpu = await openEngine({modelPath, device: "cuda-emulated", threads: 2, seed: 5, lora});
    try {
        const state = cpu.getState();
        for (let i = 0; i < state.weights.length; i++) state.weights[i] = state.weights[i]! + Math.sin(i) * 0.05;
        cpu.setState(state);
        gpu.setState(state);
        const rc = await cpu.accumulate(batch());
        const rg = await gpu.accumulate(batch());
        const lossDiff = Math.abs(rg.lossSum / rg.tokens - rc.lossSum / rc.tokens);
        console.log(`mixed: loss cpu ${(rc.lossSum / rc.tokens).toFixed(5)} gpu ${(rg.lossSum / rg.tokens).toFixed(5)}`);
        assert.ok(lossDiff < 1e-2, `loss differs by ${lossDiff}`);
        assertClose(compareGradients("mixed", cpu, gpu));
    } finally {
        cpu.close();
        gpu.close();
    }
});

test("emulated CUDA engine: recompute, repeat runs and resume are bit-exact (tiny llama)", {skip}, async () => {
    const kept = await open("cuda-emulated", {arch: "llama", activationMemoryMb: 1024});
    const recomputed = await open("cuda-emulated", {arch: "llama", activationMemoryMb: 0});
    try {
        const state = kept.getState();
        for (let i = 0; i < state.weights.length; i++) state.weights[i] = state.weights[i]! + Math.cos(i) * 0.05;
        kept.setState(state);
        recomputed.setState(state);
        const r1 = await kept.accumulate(batch());
        const r2 = await recomputed.accumulate(batch());
        assert.equal(r1.lossSum, r2.lossSum);
        assert.deepEqual(kept.gradients(), recomputed.gradients(), "recomputing a layer must give the kept activations' gradients exactly");
        await kept.optimizerStep({...adamw, gradScale: r1.tokens});
        await recomputed.optimizerStep({...adamw, gradScale: r2.tokens});
        // resume: a fresh engine given the state continues exactly as the running one
        const resumed = await open("cuda-emulated", {arch: "llama", activationMemoryMb: 0});
        try {
            resumed.setState(recomputed.getState());
            const next = await recomputed.accumulate(batch());
            const again = await resumed.accumulate(batch());
            assert.equal(again.lossSum, next.lossSum);
            assert.deepEqual(resumed.gradients(), recomputed.gradients());
        } finally {
            resumed.close();
        }
    } finally {
        kept.close();
        recomputed.close();
    }
});

test("emulated CUDA engine: logits of one sequence match the CPU engine (tiny qwen3)", {skip}, async () => {
    const {cpu, gpu} = await pair({arch: "qwen3"});
    try {
        const tokens = Int32Array.from(b);
        const lc = await cpu.logits(tokens), lg = await gpu.logits(tokens);
        assert.equal(lg.length, lc.length);
        let diff = 0, ref = 0;
        for (let i = 0; i < lc.length; i++) { diff = Math.max(diff, Math.abs(lc[i]! - lg[i]!)); ref = Math.max(ref, Math.abs(lc[i]!)); }
        console.log(`logits: max difference ${diff.toExponential(2)} of max |logit| ${ref.toFixed(3)}`);
        assert.ok(diff < gradTolerance * ref);
    } finally {
        cpu.close();
        gpu.close();
    }
});

test("device cuda without a GPU is a clear error; auto falls back to the CPU and says why", async () => {
    const real = loadNativeAddon().cudaProbe(false);
    if (real.available) return;  // a machine with a GPU: nothing to check here
    await assert.rejects(open("cuda", {arch: "qwen2"}), (e: Error & {problem?: string}) => {
        assert.match(e.message, /device cuda is not available: (this build has no CUDA engine|no NVIDIA driver|no CUDA GPU|the NVIDIA driver supports)/);
        return true;
    });
    const auto = await open("auto", {arch: "qwen2"});
    try {
        assert.equal(auto.info.device?.kind, "cpu");
        assert.equal(auto.info.device?.note, real.reason);
    } finally {
        auto.close();
    }
});
