import {writeFileAtomic} from "../runs/writeFileAtomic.js";
import {GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GgufValue, GgufValueType, ggmlTensorBytes} from "./ggufTypes.js";

/** A tensor to write: GGUF dims are innermost first (ne0 = row length). */
export type GgufTensorSpec = {
    name: string,
    dims: number[],
    type: number,
    /** Produces the tensor's raw bytes; called once, in file order, so huge files stream. */
    data: () => Uint8Array
};

const valueTypeIds: Record<string, GgufValueType> = {
    u8: GgufValueType.UINT8, i8: GgufValueType.INT8, u16: GgufValueType.UINT16, i16: GgufValueType.INT16,
    u32: GgufValueType.UINT32, i32: GgufValueType.INT32, f32: GgufValueType.FLOAT32, f64: GgufValueType.FLOAT64,
    u64: GgufValueType.UINT64, i64: GgufValueType.INT64, bool: GgufValueType.BOOL, string: GgufValueType.STRING
};

/** Growable little-endian byte builder for the header. */
class ByteSink {
    private buf = Buffer.alloc(1 << 16);
    public length = 0;

    private ensure(n: number) {
        if (this.length + n <= this.buf.length) return;
        let size = this.buf.length * 2;
        while (size < this.length + n) size *= 2;
        const next = Buffer.alloc(size);
        this.buf.copy(next, 0, 0, this.length);
        this.buf = next;
    }
    public u32(v: number) { this.ensure(4); this.buf.writeUInt32LE(v >>> 0, this.length); this.length += 4; }
    public u64(v: number | bigint) { this.ensure(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
    public bytes(b: Uint8Array) { this.ensure(b.length); this.buf.set(b, this.length); this.length += b.length; }
    public string(s: string) { const b = Buffer.from(s, "utf8"); this.u64(b.length); this.bytes(b); }
    public scalar(type: string, v: number | bigint | boolean) {
        this.ensure(8);
        const o = this.length;
        switch (type) {
            case "u8": this.buf.writeUInt8(Number(v), o); this.length += 1; break;
            case "i8": this.buf.writeInt8(Number(v), o); this.length += 1; break;
            case "u16": this.buf.writeUInt16LE(Number(v), o); this.length += 2; break;
            case "i16": this.buf.writeInt16LE(Number(v), o); this.length += 2; break;
            case "u32": this.buf.writeUInt32LE(Number(v), o); this.length += 4; break;
            case "i32": this.buf.writeInt32LE(Number(v), o); this.length += 4; break;
            case "f32": this.buf.writeFloatLE(Number(v), o); this.length += 4; break;
            case "f64": this.buf.writeDoubleLE(Number(v), o); this.length += 8; break;
            case "u64": this.buf.writeBigUInt64LE(BigInt(v), o); this.length += 8; break;
            case "i64": this.buf.writeBigInt64LE(BigInt(v), o); this.length += 8; break;
            case "bool": this.buf.writeUInt8(v ? 1 : 0, o); this.length += 1; break;
            default: throw new Error(`unknown GGUF scalar type ${type}`);
        }
    }
    public pad(alignment: number) { const n = (alignment - (this.length % alignment)) % alignment; this.bytes(new Uint8Array(n)); }
    public result() { return this.buf.subarray(0, this.length); }
}

/**
 * Writes a GGUF v3 file: header, key-values, tensor infos, aligned tensor data. Writes to
 * `path + ".partial"` and renames into place, so a crash never leaves a half file under the real name.
 */
export function writeGguf(path: string, metadata: Record<string, GgufValue>, tensors: GgufTensorSpec[]): void {
    const alignment = metadata["general.alignment"] ? Number(metadata["general.alignment"].value) : GGUF_DEFAULT_ALIGNMENT;
    const head = new ByteSink();
    head.u32(GGUF_MAGIC);
    head.u32(GGUF_VERSION);
    head.u64(tensors.length);
    head.u64(Object.keys(metadata).length);
    for (const [key, value] of Object.entries(metadata)) {
        head.string(key);
        if (value.type === "array") {
            head.u32(GgufValueType.ARRAY);
            head.u32(valueTypeIds[value.itemType]!);
            head.u64(value.value.length);
            if (value.itemType === "string") for (const s of value.value as string[]) head.string(s);
            else for (let i = 0; i < value.value.length; i++) head.scalar(value.itemType, (value.value as ArrayLike<number>)[i]!);
        } else if (value.type === "string") {
            head.u32(GgufValueType.STRING);
            head.string(value.value);
        } else {
            head.u32(valueTypeIds[value.type]!);
            head.scalar(value.type, value.value);
        }
    }
    let offset = 0;
    const offsets: number[] = [];
    for (const t of tensors) {
        head.string(t.name);
        head.u32(t.dims.length);
        for (const d of t.dims) head.u64(d);
        head.u32(t.type);
        head.u64(offset);
        offsets.push(offset);
        const bytes = ggmlTensorBytes(t.type, t.dims.reduce((a, b) => a * b, 1));
        offset += bytes + ((alignment - (bytes % alignment)) % alignment);
    }
    head.pad(alignment);

    writeFileAtomic(path, (write) => {
        write(head.result());
        tensors.forEach((t, i) => {
            const expected = ggmlTensorBytes(t.type, t.dims.reduce((a, b) => a * b, 1));
            const data = t.data();
            if (data.length !== expected)
                throw new Error(`tensor ${t.name}: producer gave ${data.length} bytes, expected ${expected}`);
            write(data);
            const nextOffset = i + 1 < tensors.length ? offsets[i + 1]! : offset;
            const pad = nextOffset - offsets[i]! - data.length;
            if (pad > 0 && i + 1 < tensors.length) write(new Uint8Array(pad));
        });
    });
}

