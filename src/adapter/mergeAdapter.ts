import {renameSync, rmSync} from "node:fs";
import {dirname} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import {readGgufHeader} from "../gguf/readGgufHeader.js";
import {outputDirs} from "../runs/outputDirs.js";
import type {NativeMergeFile} from "../engine/NativeAddon.js";
import {GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GgmlType, ggmlBlockLayout, ggmlTensorBytes} from "../gguf/ggufTypes.js";
import {loraTargetTensor} from "../engine/TrainEngine.js";
import {loadNativeAddon} from "../engine/loadNativeAddon.js";
import {checkAdapterHeaders} from "./checkAdapter.js";
import {readAdapterGguf} from "./readAdapterGguf.js";
import {readRawMetadata} from "./readRawMetadata.js";
import {readTensorValues} from "./readTensorValues.js";

/** Base types the native addon decodes for the merge; others are decoded by readTensorValues (which names the unsupported ones). */
const nativeDecode = new Set<number>([GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K]);

export type MergeOptions = {
    modelPath: string,
    adapterPath: string,
    out: string,
    /** multiplier on the adapter, as `scale` at inference; default 1 */
    scale?: number,
    /**
     * type of the merged tensors: "auto" (default) keeps F32 as F32 and writes the rest as F16;
     * "q8_0" writes about half the bytes of F16 (the fast choice for a big model) but rounds each
     * merged weight to its block's step of max|w| / 127, which can undo small adapter changes
     */
    type?: "auto" | "f32" | "f16" | "q8_0",
    /** write with O_DIRECT where the file system takes it (default true; false: through the page cache) */
    direct?: boolean,
    /** bytes of each staging chunk of the native writer, a multiple of 4096 (default 16 MiB; tests make it small) */
    chunkBytes?: number,
    /** bytes of the merged file done so far and in all, after the header and after each tensor */
    onProgress?: (done: number, total: number) => void
};

const outTypes = {f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0} as const;

/**
 * Writes a model with the adapter folded in: each adapted W becomes W + scale (alpha/r) B A
 * (decoded, summed and encoded to F32, F16 or Q8_0 by the native addon on all cores); every other
 * tensor and all metadata are copied byte for byte, so the merged file generates like base +
 * adapter with no adapter at run time. The native writer reads the base through a map and writes
 * on its own thread (O_DIRECT where it can), so writing one part overlaps merging the next.
 * `direct` says whether the output went with O_DIRECT.
 */
export async function mergeAdapter(options: MergeOptions): Promise<{merged: number, copied: number, direct: boolean}> {
    const model = readGgufHeader(options.modelPath);
    checkAdapterHeaders(readGgufHeader(options.adapterPath), model);
    const adapter = readAdapterGguf(options.adapterPath);
    const factor = (options.scale ?? 1) * adapter.alpha / adapter.rank;
    const native = loadNativeAddon();
    const byName = new Map(adapter.pairs.map((p) => [`blk.${p.layer}.${loraTargetTensor[p.target]}.weight`, p]));
    const metadata = readRawMetadata(model);
    const alignment = Number(model.metadata.get("general.alignment") ?? GGUF_DEFAULT_ALIGNMENT);

    const plan = model.tensors.map((t) => {
        const pair = byName.get(t.name);
        if (!pair) {
            if (!ggmlBlockLayout[t.type])
                throw new DittoError(`${options.modelPath}: tensor ${t.name} has ggml type ${t.type}, whose size ditto does not know, so it cannot be copied`,
                    {hint: "convert the model with llama.cpp's llama-quantize to a common type (e.g. Q8_0 or Q4_K_M) and merge that", code: "MERGE_TYPE"});
            return {info: t, type: t.type, outBytes: t.bytes, write: (file: NativeMergeFile) => file.copy(t.offset, t.bytes)};
        }
        const type = options.type === "f32" || options.type === "f16" || options.type === "q8_0" ? outTypes[options.type] :
            t.type === GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
        if (type === GgmlType.Q8_0 && pair.nIn % 32 !== 0)
            throw new DittoError(`${options.modelPath}: tensor ${t.name} has rows of ${pair.nIn} values, not whole 32-value Q8_0 blocks`,
                {hint: "merge with --type f16 or f32", code: "MERGE_TYPE"});
        return {
            info: t, type, outBytes: ggmlTensorBytes(type, pair.nOut * pair.nIn),
            write: (file: NativeMergeFile) => {
                // [nOut][nIn]; merged natively from the mapped base unless a value is NaN or a block scale is
                // not finite (see decodeForMerge): then decoded in TypeScript and merged as an F32 base
                if (nativeDecode.has(t.type) && file.merge(t.offset, t.type, pair.a, pair.b, pair.nOut, pair.nIn, adapter.rank, factor, type))
                    return;
                const w = readTensorValues(model, t.name);
                file.append(native.mergeTensor(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), GgmlType.F32, pair.a, pair.b,
                    pair.nOut, pair.nIn, adapter.rank, factor, type)!);
            }
        };
    });

    // Header: magic, version, counts, the base model's key-values verbatim, then the tensor table.
    const parts: Buffer[] = [];
    const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
    const u64 = (v: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
    u32(GGUF_MAGIC); u32(GGUF_VERSION); u64(plan.length); u64(metadata.count);
    parts.push(metadata.bytes);
    const padded = (n: number) => n + ((alignment - (n % alignment)) % alignment);
    let offset = 0;
    for (const p of plan) {
        const name = Buffer.from(p.info.name, "utf8");
        u64(name.length); parts.push(name);
        u32(p.info.dims.length);
        for (const d of p.info.dims) u64(d);
        u32(p.type); u64(offset);
        offset += padded(p.outBytes);
    }
    let head = Buffer.concat(parts);
    head = Buffer.concat([head, Buffer.alloc(padded(head.length) - head.length)]);
    const total = head.length + offset;

    // The real name only ever holds a whole file: bytes go to `out.partial`, fsynced, then renamed.
    outputDirs.make(dirname(options.out));
    const partial = options.out + ".partial";
    const file = native.openMergeFile(partial, model.path, options.direct ?? true, options.chunkBytes ?? 0);
    try {
        file.append(head);
        let done = head.length;
        options.onProgress?.(done, total);
        for (const p of plan) {
            p.write(file);
            file.zeros(padded(p.outBytes) - p.outBytes);
            done += padded(p.outBytes);
            options.onProgress?.(done, total);
        }
        file.finish();
    } catch (err) {
        file.close();
        rmSync(partial, {force: true});
        throw err;
    }
    const direct = file.direct();
    file.close();
    try {
        renameSync(partial, options.out);
    } catch (err) {
        rmSync(partial, {force: true});
        throw err;
    }
    return {merged: byName.size, copied: plan.length - byName.size, direct};
}
