import {before, test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, openSync, readFileSync, writeFileSync, closeSync, writeSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import type {Llama} from "node-llama-cpp";
import {DittoError} from "../../src/errors/DittoError.js";
import {writeGguf} from "../../src/gguf/GgufWriter.js";
import {GgmlType, type GgufValue} from "../../src/gguf/ggufTypes.js";
import {loadModel} from "../../src/runtime/loadModel.js";
import {openLlama} from "../../src/runtime/openLlama.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

// Each way a model file can be wrong gets its own error code, names the file, and says what to do:
// llama.cpp itself would only say "Failed to load model" for most of them.
const dir = mkdtempSync(join(tmpdir(), "ditto-badmodel-"));
let llama: Llama;
before(async () => { llama = await openLlama("cpu"); });

/** A small GGUF with the given metadata over a minimal tokenizer and one F32 tensor. */
function smallGguf(name: string, metadata: Record<string, GgufValue>, tensorName = "token_embd.weight"): string {
    const path = join(dir, name);
    writeGguf(path, {
        "general.architecture": {type: "string", value: "qwen2"},
        "tokenizer.ggml.model": {type: "string", value: "gpt2"},
        "tokenizer.ggml.tokens": {type: "array", itemType: "string", value: ["a", "b"]},
        ...metadata
    }, [{name: tensorName, dims: [32, 2], type: GgmlType.F32, data: () => new Uint8Array(32 * 2 * 4)}]);
    return path;
}

async function rejectsWith(path: string, code: string, messagePart: RegExp, hintPart: RegExp) {
    await assert.rejects(loadModel(llama, path), (err: unknown) => {
        assert.ok(err instanceof DittoError, `expected a DittoError, got ${String(err)}`);
        assert.equal(err.code, code, err.message);
        assert.ok(err.message.includes(path), `message names the file: ${err.message}`);
        assert.match(err.message, messagePart);
        assert.match(err.hint ?? "", hintPart);
        return true;
    });
}

test("missing file", async () => {
    await rejectsWith(join(dir, "nope.gguf"), "GGUF_MISSING", /not found/, /check the path|ditto models pull/);
});

test("a text file is not a GGUF", async () => {
    const path = join(dir, "notes.gguf");
    writeFileSync(path, "this is a text file, not a model\n");
    await rejectsWith(path, "GGUF_NOT_GGUF", /not a GGUF file/, /\.gguf model file/);
});

test("a real fixture cut in half is truncated", async () => {
    const whole = readFileSync(fixtureModel("qwen2", "q8_0"));
    const path = join(dir, "half.gguf");
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
    await rejectsWith(path, "GGUF_TRUNCATED", /truncated/, /cut short.*pull/);
});

test("a LoRA adapter passed as the model", async () => {
    const path = smallGguf("adapter.gguf", {
        "general.type": {type: "string", value: "adapter"},
        "adapter.type": {type: "string", value: "lora"},
        "adapter.lora.alpha": {type: "f32", value: 16}
    }, "blk.0.attn_q.weight.lora_a");
    await rejectsWith(path, "MODEL_IS_ADAPTER", /LoRA adapter, not a model/, /--adapter/);
});

test("an architecture llama.cpp does not know (general.architecture=foo)", async () => {
    const path = smallGguf("foo.gguf", {"general.architecture": {type: "string", value: "foo"}});
    await rejectsWith(path, "MODEL_ARCH", /general\.architecture is "foo"/, /supported architecture/);
});

test("a tensor type ditto cannot read", async () => {
    const path = smallGguf("weird-type.gguf", {});
    // patch the tensor's type id in its tensor info (name, n_dims u32, dims u64 x2, type u32) to 99
    const bytes = readFileSync(path);
    const name = Buffer.from("token_embd.weight");
    const at = bytes.lastIndexOf(name) + name.length + 4 + 2 * 8;
    assert.equal(bytes.readUInt32LE(at), GgmlType.F32);
    const fd = openSync(path, "r+");
    const patch = Buffer.alloc(4);
    patch.writeUInt32LE(99);
    writeSync(fd, patch, 0, 4, at);
    closeSync(fd);
    await rejectsWith(path, "MODEL_TENSOR_TYPE", /tensor token_embd\.weight has tensor type type#99/, /F16, BF16, Q8_0/);
});

test("a model without a tokenizer", async () => {
    const path = join(dir, "no-tokenizer.gguf");
    writeGguf(path, {"general.architecture": {type: "string", value: "qwen2"}},
        [{name: "token_embd.weight", dims: [32, 2], type: GgmlType.F32, data: () => new Uint8Array(32 * 2 * 4)}]);
    await rejectsWith(path, "MODEL_NO_TOKENIZER", /no tokenizer/, /includes its tokenizer/);
});
