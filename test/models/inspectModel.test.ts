import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdirSync, mkdtempSync, writeFileSync, copyFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {writeGguf} from "../../src/gguf/GgufWriter.js";
import {GgmlType} from "../../src/gguf/ggufTypes.js";
import {FIXTURE_VERSION} from "../../src/fixtures/fixtureSpecs.js";
import {inspectModel} from "../../src/models/inspectModel.js";
import {listModels} from "../../src/models/listModels.js";
import {main} from "../../src/cli/main.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

test("inspect describes a qwen3 fixture: shapes, parameters, tensor types, template, tokenizer", async () => {
    const i = await inspectModel(fixtureModel("qwen3", "f16"));
    assert.equal(i.kind, "model");
    assert.equal(i.architecture, "qwen3");
    assert.deepEqual([i.layers, i.hidden, i.heads, i.kvHeads, i.headDim, i.contextLength, i.vocabSize], [2, 64, 4, 2, 32, 4096, 151936]);
    assert.equal(i.parameters, Object.values(i.tensorTypes).reduce((a, t) => a + t.parameters, 0));
    assert.ok(i.tensorTypes.F16!.tensors > 0 && i.tensorTypes.F32!.tensors > 0);
    assert.deepEqual([i.chatTemplate.present, i.chatTemplate.wrapper, i.chatTemplate.recognized], [true, "Qwen", true]);
    assert.ok(i.chatTemplate.firstLines.length > 0);
    assert.equal(i.tokenizer.model, "gpt2");
    assert.equal(i.tokenizer.eos?.text, "<|im_end|>");
    assert.ok(i.tokenizer.control.some((t) => t.text === "<|im_start|>"));
});

test("inspect describes an adapter without needing its base model", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "ditto-inspect-")), "adapter.gguf");
    writeGguf(path, {
        "general.architecture": {type: "string", value: "qwen2"},
        "general.type": {type: "string", value: "adapter"},
        "adapter.type": {type: "string", value: "lora"},
        "adapter.lora.alpha": {type: "f32", value: 16}
    }, [
        {name: "blk.0.attn_q.weight.lora_a", dims: [64, 8], type: GgmlType.F32, data: () => new Uint8Array(64 * 8 * 4)},
        {name: "blk.0.attn_q.weight.lora_b", dims: [8, 64], type: GgmlType.F32, data: () => new Uint8Array(64 * 8 * 4)}
    ]);
    const i = await inspectModel(path);
    assert.equal(i.kind, "adapter");
    assert.deepEqual(i.adapter, {type: "lora", alpha: 16, rank: 8, tensors: 2});
    assert.equal(i.chatTemplate.wrapper, null);
});

test("list shows catalogue entries with downloaded yes/no, partial downloads, other files and fixtures", () => {
    const dir = mkdtempSync(join(tmpdir(), "ditto-list-"));
    mkdirSync(join(dir, "fixtures"));
    copyFileSync(fixtureModel("qwen2", "q8_0"), join(dir, "fixtures", `tiny-qwen2-q8_0-v${FIXTURE_VERSION}.gguf`));
    copyFileSync(fixtureModel("qwen2", "q8_0"), join(dir, "fixtures", "tiny-qwen3-f16.gguf"));
    writeFileSync(join(dir, "qwen2.5-0.5b-instruct-q8_0.gguf.partial"), "x".repeat(10));
    writeFileSync(join(dir, "qwen2.5-1.5b-instruct-q8_0.gguf"), "x".repeat(20));
    writeFileSync(join(dir, "my-model.gguf"), "x".repeat(30));
    const l = listModels({modelsDir: dir});
    const byName = new Map(l.catalogue.map((e) => [e.name, e]));
    assert.equal(byName.get("qwen2.5-0.5b-instruct-q8_0")!.downloaded, false);
    assert.equal(byName.get("qwen2.5-0.5b-instruct-q8_0")!.partialBytes, 10);
    assert.equal(byName.get("qwen2.5-0.5b-instruct-q8_0")!.sizeBytes, 675710816);
    assert.equal(byName.get("qwen2.5-1.5b-instruct-q8_0")!.downloaded, true);
    assert.equal(byName.get("qwen2.5-1.5b-instruct-q8_0")!.sizeBytes, 20);
    assert.deepEqual(l.local.map((f) => [f.file, f.sizeBytes]), [["my-model.gguf", 30]]);
    assert.deepEqual(l.fixtures.map((f) => [f.ref, f.current]), [["fixture:qwen2-tiny-q8_0", true], ["fixture:qwen3-tiny-f16", false]]);
});

test("inspect names the block types and says whether the training engine reads every matrix", async () => {
    const q4 = await inspectModel(fixtureModel("qwen2", "q4_0"));
    const q4Types = q4.tensorTypes.Q4_0!;
    assert.ok(q4Types.tensors > 0);
    assert.equal(q4Types.bytes, q4Types.parameters / 32 * 18, "Q4_0: 18 bytes per 32 values");
    assert.deepEqual(q4.untrainableTypes, []);

    // a matrix in IQ4_XS (256-value blocks of 136 bytes), which llama.cpp runs and the engine does not read
    const path = join(mkdtempSync(join(tmpdir(), "ditto-inspect-")), "iq4.gguf");
    writeGguf(path, {"general.architecture": {type: "string", value: "qwen2"}}, [
        {name: "blk.0.ffn_up.weight", dims: [256, 4], type: GgmlType.IQ4_XS, data: () => new Uint8Array(4 * 136)},
        {name: "blk.0.ffn_norm.weight", dims: [256], type: GgmlType.F32, data: () => new Uint8Array(256 * 4)}
    ]);
    const iq = await inspectModel(path);
    assert.deepEqual(iq.tensorTypes.IQ4_XS, {tensors: 1, parameters: 1024, bytes: 544});
    assert.deepEqual(iq.untrainableTypes, ["IQ4_XS"]);
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => { lines.push(a.join(" ")); };
    try {
        await main(["node", "ditto", "models", "inspect", path]);
    } finally {
        console.log = log;
    }
    assert.match(lines.join("\n"), /^training {8}not with ditto's engine: IQ4_XS matrices \(it reads F32, .*Q5_K.*\)/m);
});
