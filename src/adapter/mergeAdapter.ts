import {open} from "node:fs/promises";
import {DittoError} from "../errors/DittoError.js";
import {readGgufHeader, type GgufTensorInfo} from "../gguf/readGgufHeader.js";
import {writeFileAtomicAsync} from "../runs/writeFileAtomicAsync.js";
import {GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GgmlType, ggmlTensorBytes} from "../gguf/ggufTypes.js";
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
    type?: "auto" | "f32" | "f16" | "q8_0"
};

const outTypes = {f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0} as const;

/**
 * Writes a model with the adapter folded in: each adapted W becomes W + scale (alpha/r) B A
 * (decoded, summed and encoded to F32, F16 or Q8_0 by the native addon on all cores); every other
 * tensor and all metadata are copied byte for byte, so the merged file generates like base +
 * adapter with no adapter at run time. Reading the next tensor and writing the last one overlap
 * the merging of the current one.
 */
export async function mergeAdapter(options: MergeOptions): Promise<{merged: number, copied: number}> {
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
        if (!pair) return {info: t, type: t.type, data: (bytes: Uint8Array) => bytes};
        const type = options.type === "f32" || options.type === "f16" || options.type === "q8_0" ? outTypes[options.type] :
            t.type === GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
        if (type === GgmlType.Q8_0 && pair.nIn % 32 !== 0)
            throw new DittoError(`${options.modelPath}: tensor ${t.name} has rows of ${pair.nIn} values, not whole 32-value Q8_0 blocks`,
                {hint: "merge with --type f16 or f32", code: "MERGE_TYPE"});
        return {
            info: t, type,
            data: (bytes: Uint8Array) => {
                // [nOut][nIn]; decoded natively unless a value is NaN or a block scale is not finite (see
                // decodeForMerge): then in TypeScript, and the float32 values merged as an F32 base
                const merge = (base: Uint8Array, baseType: number) =>
                    native.mergeTensor(base, baseType, pair.a, pair.b, pair.nOut, pair.nIn, adapter.rank, factor, type);
                const direct = nativeDecode.has(t.type) ? merge(bytes, t.type) : null;
                if (direct) return direct;
                const w = readTensorValues(model, t.name);
                return merge(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), GgmlType.F32)!;
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
        offset += padded(ggmlTensorBytes(p.type, p.info.dims.reduce((x, y) => x * y, 1)));
    }
    let head = Buffer.concat(parts);
    head = Buffer.concat([head, Buffer.alloc(padded(head.length) - head.length)]);

    const source = await open(model.path, "r");
    try {
        const read = async (t: GgufTensorInfo) => {
            const bytes = Buffer.allocUnsafe(t.bytes);
            for (let got = 0; got < bytes.length;) {
                const {bytesRead} = await source.read(bytes, got, bytes.length - got, t.offset + got);
                if (bytesRead === 0) throw new DittoError(`${model.path}: tensor ${t.name} is cut short`, {hint: "the file is truncated; copy it again", code: "GGUF_TRUNCATED"});
                got += bytesRead;
            }
            return bytes;
        };
        await writeFileAtomicAsync(options.out, async (write) => {
            await write(head);
            let next = plan.length ? read(plan[0]!.info) : null;
            for (let i = 0; i < plan.length; i++) {
                const bytes = await next!;
                if (i + 1 < plan.length) next = read(plan[i + 1]!.info);
                const data = plan[i]!.data(bytes);
                await write(data);
                const pad = padded(data.length) - data.length;
                if (pad) await write(new Uint8Array(pad));
            }
        });
    } finally {
        await source.close();
    }
    return {merged: byName.size, copied: plan.length - byName.size};
}
