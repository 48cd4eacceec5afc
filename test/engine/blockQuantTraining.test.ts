// Bases in Q4_0, Q4_1, Q5_0, Q5_1 and Q5_K stay in their blocks and are decoded inside the
// products: training on one must match training on the same values expanded to F32 by an
// independent decoder (TypeScript's, through `ditto adapter merge` of a zero adapter), and the loss
// must fall. The base's memory is its file size (peak RSS of a child process that trains a step).
import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, statSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {openEngine} from "../../src/engine/openEngine.js";
import {loraTargets, type LoraPair, type LoraTarget, type OptimizerSettings, type TrainBatch} from "../../src/engine/TrainEngine.js";
import {mergeAdapter} from "../../src/adapter/mergeAdapter.js";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import {fixtureShape, type FixtureArch, type FixtureSize, type FixtureType} from "../../src/fixtures/fixtureSpecs.js";
import {readGgufHeader} from "../../src/gguf/readGgufHeader.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

const adamw: OptimizerSettings = {lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clip: 1, gradScale: 1};

function batch(): TrainBatch {
    const tokens = [151644, 872, 198, 9707, 11, 1879, 0, 151645, 151644, 77091, 198, 40, 1079, 264, 18862, 13, 151645, 198];
    const n = tokens.length;
    return {batch: 1, seqLen: n, tokens: Int32Array.from(tokens), targets: Int32Array.from(tokens, (_, i) => i + 1 < n ? tokens[i + 1]! : -1),
        segments: new Int32Array(n)};
}

/** The model with every projection decoded to F32 by TypeScript (a merge of an adapter whose B is 0). */
async function expandedCopy(path: string, arch: FixtureArch, size: FixtureSize): Promise<string> {
    const out = path.replace(/\.gguf$/, "-expanded.gguf");
    if (existsSync(out)) return out;
    const s = fixtureShape(size, arch);
    const q = s.nHead * s.headDim, kv = s.nHeadKv * s.headDim;
    const dims: Record<LoraTarget, [number, number]> = {q: [s.nEmbd, q], k: [s.nEmbd, kv], v: [s.nEmbd, kv], o: [q, s.nEmbd],
        gate: [s.nEmbd, s.nFf], up: [s.nEmbd, s.nFf], down: [s.nFf, s.nEmbd]};
    const pairs: LoraPair[] = [];
    for (let layer = 0; layer < s.nLayer; layer++)
        for (const target of loraTargets)
            pairs.push({layer, target, nIn: dims[target][0], nOut: dims[target][1], a: new Float32Array(dims[target][0]).fill(0.01), b: new Float32Array(dims[target][1])});
    const adapter = join(mkdtempSync(join(tmpdir(), "ditto-expand-")), "zero.gguf");
    writeAdapterGguf(pairs, {arch, alpha: 1}, adapter);
    await mergeAdapter({modelPath: path, adapterPath: adapter, out, type: "f32"});
    return out;
}

/** Losses of four training steps and the LoRA weights after them. */
async function train(modelPath: string): Promise<{losses: number[], weights: Float32Array}> {
    const engine = await openEngine({modelPath, lora: {rank: 4, alpha: 8, dropout: 0, targets: [...loraTargets]}, threads: 2, seed: 3});
    try {
        const losses: number[] = [];
        for (let step = 0; step < 4; step++) {
            const r = await engine.accumulate(batch());
            losses.push(r.lossSum / r.tokens);
            await engine.optimizerStep({...adamw, gradScale: r.tokens});
        }
        return {losses, weights: engine.getState().weights};
    } finally {
        engine.close();
    }
}

const cases: [FixtureArch, FixtureType, FixtureSize][] = [
    ["qwen2", "q4_0", "tiny"], ["llama", "q4_1", "tiny"], ["qwen3", "q5_0", "tiny"], ["qwen2", "q5_1", "tiny"], ["qwen2", "q5_k", "wide"]
];

for (const [arch, type, size] of cases) {
    test(`a ${type} base (${size} ${arch}) trains as its values expanded to F32 do`, async () => {
        const path = fixtureModel(arch, type, size);
        const quant = await train(path), expanded = await train(await expandedCopy(path, arch, size));
        const unquantized = await train(fixtureModel(arch, "f32", size));
        const lossDiff = Math.max(...quant.losses.map((l, i) => Math.abs(l - expanded.losses[i]!)));
        let weightDiff = 0, weightMax = 0;
        for (let i = 0; i < quant.weights.length; i++) {
            weightDiff = Math.max(weightDiff, Math.abs(quant.weights[i]! - expanded.weights[i]!));
            weightMax = Math.max(weightMax, Math.abs(expanded.weights[i]!));
        }
        const quantizationEffect = Math.abs(quant.losses[0]! - unquantized.losses[0]!);
        console.log(`${type}: losses ${quant.losses.map((l) => l.toFixed(6)).join(" ")}; vs expanded: loss diff ${lossDiff.toExponential(2)}, ` +
            `weight diff ${weightDiff.toExponential(2)} of ${weightMax.toExponential(2)}; vs unquantized F32: ${quantizationEffect.toExponential(2)}`);
        assert.ok(quant.losses.at(-1)! < quant.losses[0]!, "loss falls");
        // the same values in different encodings: only float rounding of the products differs
        assert.ok(lossDiff < 1e-5 * quant.losses[0]!, `loss differs by ${lossDiff}`);
        assert.ok(weightDiff < 1e-4 * weightMax, `LoRA weights differ by ${weightDiff}`);
        // and the comparison can see a decoding mistake: quantization alone moves the loss far more
        assert.ok(quantizationEffect > 100 * lossDiff, `quantization effect ${quantizationEffect} vs ${lossDiff}`);
    });
}

/** Peak RSS growth of a child process that opens the engine on `path` and trains one step. */
function engineMemory(path: string): {grownBytes: number} {
    const code = `
        import {readFileSync} from "node:fs";
        import {openEngine} from "./src/engine/openEngine.ts";
        const rss = () => Number(/^VmRSS:\\s+(\\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
        const hwm = () => Number(/^VmHWM:\\s+(\\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
        const before = rss();
        const engine = await openEngine({modelPath: process.argv[1], lora: {rank: 4, alpha: 8, dropout: 0, targets: ["q", "v"]}, threads: 2, seed: 1});
        const tokens = Int32Array.from({length: 64}, (_, i) => (i * 7919 + 13) % 150000);
        const r = await engine.accumulate({batch: 1, seqLen: 64, tokens, targets: Int32Array.from(tokens, (_, i) => i < 63 ? tokens[i + 1] : -1), segments: new Int32Array(64)});
        engine.close();
        process.stdout.write(JSON.stringify({grownBytes: hwm() - before, loss: r.lossSum / r.tokens}));`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, path], {encoding: "utf8"});
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as {grownBytes: number};
}

test("a Q5_K base takes its file size in memory, not its F32 size", () => {
    const path = fixtureModel("qwen2", "q5_k", "wide");
    const file = statSync(path).size;
    const f32Bytes = 4 * readGgufHeader(path).tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
    const {grownBytes} = engineMemory(path);
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    console.log(`Q5_K wide: file ${mb(file)}, peak RSS growth opening the engine and training a step ${mb(grownBytes)}; ` +
        `the weights in F32 would take ${mb(f32Bytes)}`);
    // the mapped file is read whole by the tied output head; the rest is the engine's buffers
    assert.ok(grownBytes < file + 48e6, `grew by ${mb(grownBytes)} for a ${mb(file)} file`);
    assert.ok(f32Bytes > 4 * file, "a decode to F32 at load would show");
});
