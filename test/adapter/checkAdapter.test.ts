import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import {checkAdapter} from "../../src/adapter/checkAdapter.js";
import {AdapterCheckError} from "../../src/adapter/errors/AdapterCheckError.js";
import {GgufFileError} from "../../src/gguf/errors/GgufFileError.js";
import {writeGguf} from "../../src/gguf/GgufWriter.js";
import {GgmlType} from "../../src/gguf/ggufTypes.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {randomPairs} from "./randomPairs.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-check-"));
const model = fixtureModel("qwen2", "f16");

function rejects(adapter: string, code: string, pattern: RegExp) {
    assert.throws(() => checkAdapter(adapter, model), (e: unknown) => {
        assert.ok(e instanceof AdapterCheckError || e instanceof GgufFileError, String(e));
        assert.equal((e as AdapterCheckError).code, code);
        assert.match(e.message, pattern);
        assert.ok(e.message.includes(adapter), "the message names the adapter file");
        assert.ok(e.hint && e.hint.length > 10, "a hint says how to fix it");
        return true;
    });
}

test("a good adapter passes and is summarised", () => {
    const path = join(dir, "good.gguf");
    writeAdapterGguf(randomPairs("qwen2", 8, {targets: ["q", "v"]}), {arch: "qwen2", alpha: 16}, path);
    assert.deepEqual(checkAdapter(path, model), {arch: "qwen2", alpha: 16, rank: 8,
        targets: ["blk.0.attn_q.weight", "blk.0.attn_v.weight", "blk.1.attn_q.weight", "blk.1.attn_v.weight"]});
});

test("a model passed as the adapter is named as a model", () => {
    rejects(model, "ADAPTER_NOT_ADAPTER", /is a model \(general\.type=model\), not a LoRA adapter/);
});

test("an adapter for another architecture", () => {
    const path = join(dir, "llama.gguf");
    writeAdapterGguf(randomPairs("llama", 4), {arch: "llama", alpha: 8}, path);
    rejects(path, "ADAPTER_ARCHITECTURE", /trained for architecture llama, but .* is qwen2/);
});

test("shapes that do not match the model's tensors", () => {
    // qwen3's tiny q projection is 64 -> 128; qwen2's is 64 -> 64.
    const path = join(dir, "shape.gguf");
    writeAdapterGguf(randomPairs("qwen3", 4, {targets: ["q"]}), {arch: "qwen2", alpha: 8}, path);
    rejects(path, "ADAPTER_SHAPE", /blk\.0\.attn_q\.weight\.lora_b is \[4, 128\] but the model's blk\.0\.attn_q\.weight has 64 outputs/);
});

test("a layer the model does not have", () => {
    const path = join(dir, "layer.gguf");
    const pairs = randomPairs("qwen2", 4, {targets: ["q"]}).map((p) => ({...p, layer: p.layer + 4}));
    writeAdapterGguf(pairs, {arch: "qwen2", alpha: 8}, path);
    rejects(path, "ADAPTER_LAYER", /layer 4, but the model has 2 layers \(0-1\)/);
});

test("A and B of different rank", () => {
    const path = join(dir, "rank.gguf");
    const f32 = (n: number) => () => new Uint8Array(new Float32Array(n).buffer);
    writeGguf(path, {
        "general.architecture": {type: "string", value: "qwen2"},
        "general.type": {type: "string", value: "adapter"},
        "adapter.type": {type: "string", value: "lora"},
        "adapter.lora.alpha": {type: "f32", value: 8}
    }, [
        {name: "blk.0.attn_q.weight.lora_a", dims: [64, 4], type: GgmlType.F32, data: f32(256)},
        {name: "blk.0.attn_q.weight.lora_b", dims: [8, 64], type: GgmlType.F32, data: f32(512)}
    ]);
    rejects(path, "ADAPTER_RANK", /lora_a has rank 4 but lora_b has rank 8/);
});

test("a missing adapter file", () => {
    rejects(join(dir, "nope.gguf"), "GGUF_MISSING", /file not found/);
});
