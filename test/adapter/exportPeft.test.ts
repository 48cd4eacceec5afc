import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, readdirSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {exportPeft} from "../../src/adapter/exportPeft.js";
import {unpermuteRows} from "../../src/adapter/unpermuteRows.js";
import {readSafetensors} from "../../src/adapter/readSafetensors.js";
import {randomPairs} from "./randomPairs.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-peft-"));

test("PEFT export parses back with Hugging Face names and shapes", () => {
    const pairs = randomPairs("qwen2", 4);
    const out = join(dir, "qwen2");
    exportPeft(pairs, {arch: "qwen2", alpha: 8, nHead: 4, nHeadKv: 2, dropout: 0.05, baseModel: "Qwen/Qwen2.5-0.5B-Instruct"}, out);
    assert.deepEqual(readdirSync(out).sort(), ["adapter_config.json", "adapter_model.safetensors"]);
    const config = JSON.parse(readFileSync(join(out, "adapter_config.json"), "utf8"));
    assert.equal(config.peft_type, "LORA");
    assert.equal(config.r, 4);
    assert.equal(config.lora_alpha, 8);
    assert.equal(config.lora_dropout, 0.05);
    assert.deepEqual([...config.target_modules].sort(), ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]);

    const file = readFileSync(join(out, "adapter_model.safetensors"));
    assert.equal((8 + Number(file.readBigUInt64LE(0))) % 8, 0, "data starts 8-byte aligned");
    const {tensors, metadata} = readSafetensors(join(out, "adapter_model.safetensors"));
    assert.equal(metadata.format, "pt");
    assert.equal(tensors.size, pairs.length * 2);
    const a = tensors.get("base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight")!;
    const b = tensors.get("base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight")!;
    assert.deepEqual([a.dtype, a.shape, b.shape], ["F32", [4, 64], [32, 4]]);
    assert.deepEqual(tensors.get("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight")!.shape, [4, 128]);
    // qwen2 rows are not permuted: B is stored as trained.
    const pk = pairs.find((p) => p.layer === 1 && p.target === "k")!;
    assert.deepEqual(b.data, pk.b);
    assert.deepEqual(a.data, pk.a);
});

test("llama: B rows of q and k are put back in Hugging Face order, others untouched", () => {
    const pairs = randomPairs("llama", 2);
    const out = join(dir, "llama");
    exportPeft(pairs, {arch: "llama", alpha: 4, nHead: 4, nHeadKv: 2}, out);
    const {tensors} = readSafetensors(join(out, "adapter_model.safetensors"));
    const q = pairs.find((p) => p.layer === 0 && p.target === "q")!;
    const v = pairs.find((p) => p.layer === 0 && p.target === "v")!;
    assert.deepEqual(tensors.get("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight")!.data, unpermuteRows(q.b, 64, 2, 4));
    assert.notDeepEqual(unpermuteRows(q.b, 64, 2, 4), q.b);
    assert.deepEqual(tensors.get("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight")!.data, v.b);
});

test("unpermuteRows inverts llama.cpp's RoPE row permutation", () => {
    // One head of dim 4, one column: HF rows [r0 r1 r2 r3] are stored by llama.cpp as [r0 r2 r1 r3].
    assert.deepEqual(Array.from(unpermuteRows(Float32Array.from([0, 2, 1, 3]), 4, 1, 1)), [0, 1, 2, 3]);
    // Two heads of dim 4, two columns.
    const gguf = Float32Array.from([0, 0, 2, 2, 1, 1, 3, 3, 4, 4, 6, 6, 5, 5, 7, 7]);
    assert.deepEqual(Array.from(unpermuteRows(gguf, 8, 2, 2)), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
});
