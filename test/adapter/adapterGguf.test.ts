import {test, after} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import type {LlamaModel, Token} from "node-llama-cpp";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import {readAdapterGguf} from "../../src/adapter/readAdapterGguf.js";
import {checkAdapter} from "../../src/adapter/checkAdapter.js";
import {mergeAdapter} from "../../src/adapter/mergeAdapter.js";
import {readGgufHeader} from "../../src/gguf/readGgufHeader.js";
import {GgmlType} from "../../src/gguf/ggufTypes.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {loadCpuModel, maxProbDiff, runGreedy} from "./inference.js";
import {randomPairs} from "./randomPairs.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-adapter-"));
const models: LlamaModel[] = [];
after(async () => { for (const m of models) await m.dispose(); });

const prompt = (model: LlamaModel) => model.tokenize("<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n", true) as Token[];

for (const arch of ["qwen2", "qwen3", "llama"] as const) {
    test(`${arch}: a hand-made adapter loads in node-llama-cpp and changes the output; B = 0 changes nothing`, async () => {
        const modelPath = fixtureModel(arch, "f16");
        const model = await loadCpuModel(modelPath);
        models.push(model);
        const random = join(dir, `${arch}-random.gguf`), zero = join(dir, `${arch}-zero.gguf`);
        writeAdapterGguf(randomPairs(arch, 4), {arch, alpha: 8}, random);
        writeAdapterGguf(randomPairs(arch, 4, {zeroB: true}), {arch, alpha: 8}, zero);
        assert.equal(checkAdapter(random, modelPath).rank, 4);

        const base = await runGreedy(model, prompt(model));
        const withRandom = await runGreedy(model, prompt(model), {adapter: random});
        const withZero = await runGreedy(model, prompt(model), {adapter: zero});
        // Relative to the top probability: a random tiny model's distribution can be nearly flat.
        let top = 0;
        for (const p of base.probs.values()) top = Math.max(top, p);
        const changed = maxProbDiff(base.probs, withRandom.probs) / top, unchanged = maxProbDiff(base.probs, withZero.probs);
        console.log(`${arch}: max |p(adapter) - p(base)| / max p: random adapter ${changed.toExponential(2)}; B=0 absolute ${unchanged.toExponential(2)}`);
        assert.ok(changed > 0.05, "a random adapter must move the next-token distribution");
        assert.notDeepEqual(withRandom.generated, base.generated);
        assert.deepEqual(withZero.generated, base.generated);
        assert.ok(unchanged < 1e-6);
    });
}

test("the adapter GGUF has llama.cpp's metadata, names and shapes, and reads back exactly", () => {
    const path = join(dir, "layout.gguf");
    const pairs = randomPairs("qwen2", 4, {targets: ["q", "down"]});
    writeAdapterGguf(pairs, {arch: "qwen2", alpha: 16}, path);
    const h = readGgufHeader(path);
    assert.equal(h.metadata.get("general.type"), "adapter");
    assert.equal(h.metadata.get("general.architecture"), "qwen2");
    assert.equal(h.metadata.get("adapter.type"), "lora");
    assert.equal(h.metadata.get("adapter.lora.alpha"), 16);
    const dims = Object.fromEntries(h.tensors.map((t) => [t.name, t.dims]));
    assert.deepEqual(dims["blk.0.attn_q.weight.lora_a"], [64, 4]);
    assert.deepEqual(dims["blk.0.attn_q.weight.lora_b"], [4, 64]);
    assert.deepEqual(dims["blk.1.ffn_down.weight.lora_a"], [128, 4]);
    assert.deepEqual(dims["blk.1.ffn_down.weight.lora_b"], [4, 64]);
    const back = readAdapterGguf(path);
    assert.equal(back.rank, 4);
    assert.equal(back.alpha, 16);
    for (const p of pairs) {
        const q = back.pairs.find((x) => x.layer === p.layer && x.target === p.target)!;
        assert.deepEqual(q.a, p.a);
        assert.deepEqual(q.b, p.b);
    }
});

test("a merged model generates exactly what base + adapter generates", async () => {
    const modelPath = fixtureModel("llama", "f16");
    const adapter = join(dir, "llama-random.gguf");
    const merged = join(dir, "llama-merged.gguf");
    const res = await mergeAdapter({modelPath, adapterPath: adapter, out: merged, type: "f32"});
    assert.equal(res.merged, 14);
    const h = readGgufHeader(merged), base = readGgufHeader(modelPath);
    assert.equal(h.tensors.length, base.tensors.length);
    assert.equal(h.metadata.get("tokenizer.chat_template"), base.metadata.get("tokenizer.chat_template"));

    const baseModel = models.find((m) => m.filename?.includes("llama")) ?? await loadCpuModel(modelPath);
    const mergedModel = await loadCpuModel(merged);
    models.push(mergedModel);
    const withAdapter = await runGreedy(baseModel, prompt(baseModel), {adapter, tokens: 12});
    const fromMerged = await runGreedy(mergedModel, prompt(mergedModel), {tokens: 12});
    const diff = maxProbDiff(withAdapter.probs, fromMerged.probs);
    console.log(`merged vs base+adapter: max next-token probability difference ${diff.toExponential(2)}`);
    assert.deepEqual(fromMerged.generated, withAdapter.generated);
    assert.ok(diff < 1e-3);
});

test("a Q8_0 merge loads in node-llama-cpp and gives the F32 merge's next-token distribution closely, adapter kept", async () => {
    const modelPath = fixtureModel("llama", "f16");
    const adapter = join(dir, "llama-random.gguf");
    writeAdapterGguf(randomPairs("llama", 4), {arch: "llama", alpha: 8}, adapter);
    const f32 = join(dir, "llama-merged-f32.gguf"), q8 = join(dir, "llama-merged-q8_0.gguf");
    await mergeAdapter({modelPath, adapterPath: adapter, out: f32, type: "f32"});
    await mergeAdapter({modelPath, adapterPath: adapter, out: q8, type: "q8_0"});
    assert.equal(readGgufHeader(q8).tensors.find((t) => t.name === "blk.0.ffn_down.weight")!.type, GgmlType.Q8_0);
    const [base, full, quant] = [await loadCpuModel(modelPath), await loadCpuModel(f32), await loadCpuModel(q8)];
    models.push(base, full, quant);
    const [b, f, q] = [await runGreedy(base, prompt(base)), await runGreedy(full, prompt(full)), await runGreedy(quant, prompt(quant))];
    const quantized = maxProbDiff(f.probs, q.probs), adapterEffect = maxProbDiff(f.probs, b.probs);
    console.log(`Q8_0 vs F32 merge: max next-token probability difference ${quantized.toExponential(2)}; the adapter's own effect ${adapterEffect.toExponential(2)}`);
    // a Q8_0 writer that lost the adapter (or scrambled blocks) would be as far from the F32 merge as the base is, or farther
    assert.ok(quantized < 0.1 * adapterEffect);
});
