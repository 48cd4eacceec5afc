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
