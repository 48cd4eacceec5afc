// The native writer behind `ditto adapter merge` (native/src/MergeFileWriter): the merged file must
// not depend on how it was staged (chunk sizes that split rows and tensors, O_DIRECT or the page
// cache), a base matrix the native decoder refuses must go the TypeScript way with nothing of it
// written twice, and a base file too short or a path that cannot be opened must be a named error.
import {test} from "node:test";
import assert from "node:assert/strict";
import {copyFileSync, mkdtempSync, openSync, readFileSync, writeSync, closeSync, existsSync, readdirSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {mergeAdapter} from "../../src/adapter/mergeAdapter.js";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import {readAdapterGguf} from "../../src/adapter/readAdapterGguf.js";
import {readTensorBytes} from "../../src/adapter/readTensorBytes.js";
import {readTensorValues} from "../../src/adapter/readTensorValues.js";
import {readGgufHeader} from "../../src/gguf/readGgufHeader.js";
import {GgmlType, ggmlTensorBytes} from "../../src/gguf/ggufTypes.js";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";
import {loraTargetTensor} from "../../src/engine/TrainEngine.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {randomPairs} from "./randomPairs.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-merge-writer-"));
const adapterPath = join(dir, "adapter.gguf");
writeAdapterGguf(randomPairs("qwen2", 4, {scale: 0.1}), {arch: "qwen2", alpha: 8}, adapterPath);

test("the merged file is the same bytes whatever the staging chunk, with O_DIRECT or through the page cache", async () => {
    const modelPath = fixtureModel("qwen2", "f16");
    for (const type of ["q8_0", "f16"] as const) {
        const reference = join(dir, `reference-${type}.gguf`);
        await mergeAdapter({modelPath, adapterPath, out: reference, type});
        const want = readFileSync(reference);
        // rows of 64 values are 68 bytes of Q8_0: 4096-byte chunks end inside rows, and every tensor
        // bigger than a chunk spans several
        assert.ok(want.length > 20 * 4096, `the fixture crosses many chunks (${want.length} bytes)`);
        if (type === "q8_0") assert.notEqual(4096 % ggmlTensorBytes(GgmlType.Q8_0, 64), 0);
        for (const [direct, chunkBytes] of [[true, 4096], [false, 4096], [true, 3 * 4096], [false, 0]] as const) {
            const out = join(dir, `merged-${type}-${direct}-${chunkBytes}.gguf`);
            await mergeAdapter({modelPath, adapterPath, out, type, direct, chunkBytes});
            assert.ok(want.equals(readFileSync(out)), `${type}, direct ${direct}, chunk ${chunkBytes}: bytes differ from the 16 MiB O_DIRECT merge`);
        }
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".partial")), [], "no partial file is left");
});

test("a base matrix with a NaN is merged the TypeScript way, and nothing of it is written twice", async () => {
    const modelPath = fixtureModel("qwen2", "f16");
    const planted = join(dir, "nan-base.gguf");
    copyFileSync(modelPath, planted);
    const header = readGgufHeader(planted);
    const name = "blk.0.ffn_up.weight";
    const t = header.tensors.find((x) => x.name === name)!;
    // a NaN in the last row: a writer that streamed rows before checking would have written most of the matrix
    const fd = openSync(planted, "r+");
    writeSync(fd, Buffer.from([0x00, 0x7e]), 0, 2, t.offset + t.bytes - 6);
    closeSync(fd);
    assert.equal(loadNativeAddon().decodeForMerge(readTensorBytes(planted, t), t.type, t.bytes / 2), null, "the native decoder refuses the planted matrix");

    const out = join(dir, "nan-merged.gguf"), clean = join(dir, "clean-merged.gguf");
    await mergeAdapter({modelPath: planted, adapterPath, out, type: "f16", chunkBytes: 4096});
    await mergeAdapter({modelPath, adapterPath, out: clean, type: "f16", chunkBytes: 4096});
    const merged = readGgufHeader(out), reference = readGgufHeader(clean);
    assert.equal(readFileSync(out).length, readFileSync(clean).length);
    let compared = 0;
    for (const r of reference.tensors) {
        const got = readTensorBytes(out, merged.tensors.find((x) => x.name === r.name)!);
        if (r.name !== name) {
            assert.ok(Buffer.from(got).equals(Buffer.from(readTensorBytes(clean, r))), `${r.name} differs from the clean base's merge`);
            compared++;
            continue;
        }
        // the fallback: the TypeScript decoder's values merged as an F32 base
        const adapter = readAdapterGguf(adapterPath);
        const pair = adapter.pairs.find((p) => `blk.${p.layer}.${loraTargetTensor[p.target]}.weight` === name)!;
        const w = readTensorValues(header, name);
        const want = loadNativeAddon().mergeTensor(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), GgmlType.F32, pair.a, pair.b,
            pair.nOut, pair.nIn, adapter.rank, adapter.alpha / adapter.rank, GgmlType.F16)!;
        assert.ok(Buffer.from(got).equals(Buffer.from(want)), "the planted matrix holds the TypeScript path's bytes");
        const h = new DataView(got.buffer, got.byteOffset).getUint16(got.length - 6, true);
        assert.ok((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0, `the NaN is kept (half 0x${h.toString(16)})`);
    }
    assert.equal(compared, reference.tensors.length - 1);
});

test("a base file too short for a tensor, or a path that cannot be opened, is a named error", () => {
    const addon = loadNativeAddon();
    const modelPath = fixtureModel("qwen2", "f16");
    const size = readFileSync(modelPath).length;
    const out = join(dir, "short.gguf");
    const file = addon.openMergeFile(out, modelPath, true, 4096);
    file.copy(size - 100, 100);
    assert.throws(() => file.copy(size - 100, 101), (e: Error) => e.message.includes(modelPath) && /ends at byte/.test(e.message));
    // every call after a failure fails too: nothing more is written
    assert.throws(() => file.append(new Uint8Array(8)));
    file.close();

    const missing = join(dir, "missing.gguf");
    assert.throws(() => addon.openMergeFile(out, missing, true),
        (e: Error & {code?: string, syscall?: string, path?: string}) => e.code === "ENOENT" && e.syscall === "open" && e.path === missing);
    const noFolder = join(dir, "no-such-folder", "out.gguf");
    assert.throws(() => addon.openMergeFile(noFolder, modelPath, false),
        (e: Error & {code?: string, path?: string}) => e.code === "ENOENT" && e.path === noFolder);
    assert.ok(!existsSync(noFolder));
});
