import {test, after} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import type {LlamaModel, Token} from "node-llama-cpp";
import {dequantizeQ4K} from "../../src/adapter/dequantizeQ4K.js";
import {dequantizeQ6K} from "../../src/adapter/dequantizeQ6K.js";
import {mergeAdapter} from "../../src/adapter/mergeAdapter.js";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import {readGgufHeader} from "../../src/gguf/readGgufHeader.js";
import {GgmlType} from "../../src/gguf/ggufTypes.js";
import {loraTargets, type LoraPair, type LoraTarget} from "../../src/engine/TrainEngine.js";
import {Rng} from "../../src/random/Rng.js";
import {openEngine} from "../../src/engine/openEngine.js";
import {quantizeQ4K} from "../../src/gguf/quantizeQ4K.js";
import {quantizeQ6K} from "../../src/gguf/quantizeQ6K.js";
import {kQuantModel, kQuantShape} from "./kQuantModel.js";
import {loadCpuModel, maxProbDiff, runGreedy} from "./inference.js";

const models: LlamaModel[] = [];
after(async () => { for (const m of models) await m.dispose(); });

test("Q4_K and Q6_K decoders invert the block encoders within a quantization step", () => {
    const rng = new Rng(5);
    const x = Float32Array.from({length: 1024}, () => (rng.next() * 2 - 1) * 0.3);
    for (const [name, encode, decode, levels] of [["Q4_K", quantizeQ4K, dequantizeQ4K, 15], ["Q6_K", quantizeQ6K, dequantizeQ6K, 62]] as const) {
        const y = new Float32Array(x.length);
        decode(encode(x), y);
        let worst = 0;
        x.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - y[i]!)); });
        console.log(`${name}: largest round-trip error ${worst.toExponential(2)} (range 0.6 in ${levels} steps)`);
        assert.ok(worst < 0.6 / levels, `${name} worst ${worst}`);
    }
});

test("merging into a Q4_K/Q6_K model: ditto's dequantized weights match the native engine's decoder exactly and llama.cpp's outputs closely", async () => {
    const modelPath = kQuantModel();
    const s = kQuantShape;
    const dims: Record<LoraTarget, [number, number]> = {q: [s.nEmbd, 256], k: [s.nEmbd, 128], v: [s.nEmbd, 128], o: [256, s.nEmbd],
        gate: [s.nEmbd, s.nFf], up: [s.nEmbd, s.nFf], down: [s.nFf, s.nEmbd]};
    // B = 0: the merge is then exactly "dequantize to F32", which llama.cpp must agree with.
    const pairs: LoraPair[] = loraTargets.map((target) => ({layer: 0, target, nIn: dims[target][0], nOut: dims[target][1],
        a: new Float32Array(4 * dims[target][0]).fill(0.01), b: new Float32Array(dims[target][1] * 4)}));
    const dir = mkdtempSync(join(tmpdir(), "ditto-kquant-"));
    const adapter = join(dir, "zero.gguf"), merged = join(dir, "merged.gguf");
    writeAdapterGguf(pairs, {arch: "qwen2", alpha: 8}, adapter);
    await mergeAdapter({modelPath, adapterPath: adapter, out: merged, type: "f32"});
    assert.equal(readGgufHeader(merged).tensors.find((t) => t.name === "blk.0.ffn_down.weight")!.type, GgmlType.F32);

    const quantized = await loadCpuModel(modelPath), dequantized = await loadCpuModel(merged), unquantized = await loadCpuModel(kQuantModel("f32"));
    models.push(quantized, dequantized, unquantized);
    const prompt = quantized.tokenize("<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n", true) as Token[];
    const a = await runGreedy(quantized, prompt, {tokens: 6}), b = await runGreedy(dequantized, prompt, {tokens: 6});
    const c = await runGreedy(unquantized, prompt, {tokens: 6});
    let top = 0;
    for (const p of a.probs.values()) top = Math.max(top, p);
    const ours = maxProbDiff(a.probs, b.probs), floats = maxProbDiff(a.probs, c.probs);
    console.log(`max next-token probability difference to the K-quant model: ditto-dequantized ${ours.toExponential(2)}, ` +
        `unquantized weights ${floats.toExponential(2)} (top probability ${top.toFixed(4)})`);
    // llama.cpp multiplies K-quants against 8-bit-quantized activations, so not bit-equal; but
    // ditto's decoding must land closer to it than the weights before quantization do.
    assert.ok(ours < floats, "the dequantized weights are nearer the quantized model than the original floats");

    // Exact check against an independent decoder: the native engine (its own C++ Q4_K/Q6_K code)
    // computes the same logits in float32 from the K-quant file as from ditto's dequantized one.
    const lora = {rank: 1, alpha: 1, dropout: 0, targets: ["q" as const]};
    const fromQuant = await openEngine({modelPath, lora, threads: 2, seed: 1});
    const fromMerged = await openEngine({modelPath: merged, lora, threads: 2, seed: 1});
    try {
        const tokens = Int32Array.from(prompt);
        const x = await fromQuant.logits(tokens), y = await fromMerged.logits(tokens);
        let worst = 0;
        x.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - y[i]!)); });
        console.log(`engine logits, K-quant file vs ditto-dequantized F32 file: largest difference ${worst.toExponential(2)}`);
        assert.ok(worst < 1e-3, `largest logit difference ${worst}`);
    } finally {
        fromQuant.close();
        fromMerged.close();
    }
});
