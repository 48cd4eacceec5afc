// Every user-facing failure of the engine is an EngineError whose message names the problem.
import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {openEngine} from "../../src/engine/openEngine.js";
import {EngineError} from "../../src/engine/errors/EngineError.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

const lora = {rank: 2, alpha: 4, dropout: 0, targets: ["q" as const]};
const dir = mkdtempSync(join(tmpdir(), "ditto-engine-errors-"));

/** A copy of a fixture with bytes replaced at the first occurrence of `find` (+ offset). */
function patched(name: string, find: Buffer, offset: number, replacement: Buffer): string {
    const bytes = readFileSync(fixtureModel("qwen2", "f16", "tiny"));
    const at = bytes.indexOf(find);
    assert.ok(at >= 0);
    replacement.copy(bytes, at + find.length + offset);
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
}

async function rejection(promise: Promise<unknown>): Promise<EngineError> {
    try {
        await promise;
    } catch (error) {
        assert.ok(error instanceof EngineError, `expected EngineError, got ${String(error)}`);
        return error;
    }
    assert.fail("expected a rejection");
}

test("a missing model file is named", async () => {
    const e = await rejection(openEngine({modelPath: join(dir, "nope.gguf"), lora, seed: 1}));
    assert.match(e.message, /nope\.gguf/);
});

test("an unsupported architecture is named", async () => {
    // general.architecture's value "qwen2" -> "mamba" (same length): key, u32 type, u64 length, then the string
    const path = patched("arch.gguf", Buffer.from("general.architecture"), 4 + 8, Buffer.from("mamba"));
    const e = await rejection(openEngine({modelPath: path, lora, seed: 1}));
    assert.match(e.message, /architecture "mamba"/);
    assert.match(e.message, /llama, qwen2, qwen3/);
});

test("an unsupported tensor type is named, with the types the engine reads", async () => {
    // tensor info: name, u32 n_dims (2), 2 x u64 dims, u32 type -> 23 (IQ4_XS)
    const type = Buffer.alloc(4);
    type.writeUInt32LE(23);
    const path = patched("type.gguf", Buffer.from("blk.0.attn_q.weight"), 4 + 16, type);
    const e = await rejection(openEngine({modelPath: path, lora, seed: 1}));
    assert.match(e.message, /tensor blk\.0\.attn_q\.weight has ggml type IQ4_XS, which the training engine cannot read/);
    assert.match(e.message, /supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K/);
});

test("a block type whose rows do not fill its blocks is named", async () => {
    // type -> 13 (Q5_K) on a 64-wide matrix: super-blocks hold 256 values
    const type = Buffer.alloc(4);
    type.writeUInt32LE(13);
    const path = patched("rows.gguf", Buffer.from("blk.0.attn_q.weight"), 4 + 16, type);
    const e = await rejection(openEngine({modelPath: path, lora, seed: 1}));
    assert.match(e.message, /tensor blk\.0\.attn_q\.weight \(Q5_K\) has rows of 64 values, not a multiple of its block size 256/);
});

test("bad batches are rejected with the position named, and the engine stays usable", async () => {
    const engine = await openEngine({modelPath: fixtureModel("qwen2", "f16", "tiny"), lora, threads: 2, seed: 1});
    try {
        const ok = {batch: 1, seqLen: 3, tokens: Int32Array.from([1, 2, 3]), targets: Int32Array.from([2, 3, -1]), segments: Int32Array.from([0, 0, 0])};
        const badToken = {...ok, tokens: Int32Array.from([1, 999999999, 3])};
        assert.match((await rejection(engine.accumulate(badToken))).message, /token id 999999999 at position 1/);
        const split = {...ok, segments: Int32Array.from([0, 1, 0])};
        assert.match((await rejection(engine.evaluate(split))).message, /segment 0 appears in two separate places/);
        const short = {...ok, tokens: Int32Array.from([1, 2])};
        assert.match((await rejection(engine.evaluate(short))).message, /batch x seqLen/);
        const r = await engine.evaluate(ok);
        assert.equal(r.tokens, 2);
    } finally {
        engine.close();
    }
    await assert.rejects(engine.evaluate({batch: 1, seqLen: 1, tokens: Int32Array.from([1]), targets: Int32Array.from([-1]), segments: Int32Array.from([0])}), /closed/);
});
