import {readGgufHeader} from "../gguf/readGgufHeader.js";
import {writeFileAtomic} from "../runs/writeFileAtomic.js";
import {GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GgmlType, ggmlTensorBytes} from "../gguf/ggufTypes.js";
import {encodeTensor} from "../gguf/encodeTensor.js";
import {loraTargetTensor} from "../engine/TrainEngine.js";
import {loadNativeAddon} from "../engine/loadNativeAddon.js";
import {checkAdapterHeaders} from "./checkAdapter.js";
import {readAdapterGguf} from "./readAdapterGguf.js";
import {readRawMetadata} from "./readRawMetadata.js";
import {readTensorBytes} from "./readTensorBytes.js";
import {readTensorValues} from "./readTensorValues.js";

/** Base types the native addon decodes for the merge; F32 needs no decoding, others are readTensorValues's error. */
const nativeDecode = new Set<number>([GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K]);

export type MergeOptions = {
    modelPath: string,
    adapterPath: string,
    out: string,
    /** multiplier on the adapter, as `scale` at inference; default 1 */
    scale?: number,
    /** type of the merged tensors: "auto" (default) keeps F32 as F32 and writes the rest as F16 */
    type?: "auto" | "f32" | "f16"
};

/**
 * Writes a model with the adapter folded in: each adapted W becomes W + scale (alpha/r) B A
 * (decoded and summed by the native addon, written F32 or F16); every other tensor and all metadata are
 * copied byte for byte, so the merged file generates like base + adapter with no adapter at run time.
 */
export function mergeAdapter(options: MergeOptions): {merged: number, copied: number} {
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
        if (!pair) return {info: t, type: t.type, data: () => readTensorBytes(model.path, t)};
        const type = options.type === "f32" || (options.type !== "f16" && t.type === GgmlType.F32) ? GgmlType.F32 : GgmlType.F16;
        return {
            info: t, type,
            data: () => {
                // [nOut][nIn]; decoded natively unless a value is NaN or a block scale is not finite (see decodeForMerge)
                const w = (nativeDecode.has(t.type) ? native.decodeForMerge(readTensorBytes(model.path, t), t.type, pair.nOut * pair.nIn) : null) ??
                    readTensorValues(model, t.name);
                native.loraMerge(w, pair.a, pair.b, pair.nOut, pair.nIn, adapter.rank, factor);
                if (type === GgmlType.F16) { const h = native.encodeF16(w); return new Uint8Array(h.buffer, h.byteOffset, h.byteLength); }
                return encodeTensor(w, type);
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

    writeFileAtomic(options.out, (write) => {
        write(head);
        for (const p of plan) {
            const data = p.data();
            write(data);
            const pad = padded(data.length) - data.length;
            if (pad) write(new Uint8Array(pad));
        }
    });
    return {merged: byName.size, copied: plan.length - byName.size};
}
