import {test} from "node:test";
import assert from "node:assert/strict";
import {modelShapeOf} from "../../src/engine/modelShapeOf.js";
import {readGgufHeader} from "../../src/gguf/readGgufHeader.js";
import {GgmlType} from "../../src/gguf/ggufTypes.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {kQuantModel} from "../adapter/kQuantModel.js";

const values = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

// The plan's weights are what the engine keeps resident (native/src/Model.cpp loadMatrix): a
// K-quant matrix read in place costs its file bytes, not 4 bytes a value.
test("Q4_K and Q6_K matrices count their file bytes, as the engine decodes them inside the products", () => {
    const kquant = readGgufHeader(kQuantModel()), f32 = readGgufHeader(kQuantModel("f32"));
    const kMatrices = kquant.tensors.filter((t) => t.type === GgmlType.Q4_K || t.type === GgmlType.Q6_K);
    assert.deepEqual(new Set(kMatrices.map((t) => t.type)), new Set([GgmlType.Q4_K, GgmlType.Q6_K]));
    const saved = kMatrices.reduce((n, t) => n + values(t.dims) * 4 - t.bytes, 0);
    assert.ok(saved > 1e6, `${saved} bytes`);
    assert.equal(f32.dataOffset, kquant.dataOffset);
    assert.equal(modelShapeOf(f32).weightBytes - modelShapeOf(kquant).weightBytes, saved);
});

// An untied model (its own output.weight) reads the token embedding one row per input token: a
// 7B's 0.58 GB Q8_0 embedding never becomes resident, and counting it put the plan 5% high there.
test("an untied model's token embedding is left out of the resident weights; a tied one's is the output head", () => {
    for (const [arch, untied] of [["llama", true], ["qwen2", false]] as const) {
        const h = readGgufHeader(fixtureModel(arch, "f16"));
        assert.equal(h.tensors.some((t) => t.name === "output.weight"), untied);
        const expected = h.tensors.reduce((n, t) => {
            if (t.dims.length === 1) return n + values(t.dims) * 4 + t.bytes;  // F32 vectors: a copy beside the mapped bytes
            return untied && t.name === "token_embd.weight" ? n : n + t.bytes;
        }, h.dataOffset);
        assert.equal(modelShapeOf(h).weightBytes, expected, arch);
    }
});
