import {closeSync, existsSync, fstatSync, openSync, readSync, statSync} from "node:fs";
import {GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufReadValue, GgufValueType, ggmlBlockLayout, ggmlTensorBytes} from "./ggufTypes.js";
import {GgufFileError} from "./errors/GgufFileError.js";

export type GgufTensorInfo = {
    name: string,
    /** innermost first (ne0 = row length) */
    dims: number[],
    type: number,
    /** absolute byte offset of the tensor's data in the file */
    offset: number,
    bytes: number
};

export type GgufHeader = {
    path: string,
    version: number,
    metadata: Map<string, GgufReadValue>,
    tensors: GgufTensorInfo[],
    dataOffset: number,
    fileSize: number
};

class Truncated extends Error {}

/** Reads a file through a window, refilled on demand; throws Truncated past the end. */
class FileCursor {
    private buf = Buffer.alloc(0);
    private bufStart = 0;
    public pos = 0;
    public constructor(private readonly fd: number, private readonly size: number) {}

    private need(n: number) {
        if (this.pos + n > this.size) throw new Truncated();
        if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
        const len = Math.min(Math.max(n, 4 << 20), this.size - this.pos);
        this.buf = Buffer.alloc(len);
        let got = 0;
        while (got < len) {
            const r = readSync(this.fd, this.buf, got, len - got, this.pos + got);
            if (r === 0) throw new Truncated();
            got += r;
        }
        this.bufStart = this.pos;
    }
    private at() { return this.pos - this.bufStart; }
    public remaining() { return this.size - this.pos; }
    public u8() { this.need(1); const v = this.buf.readUInt8(this.at()); this.pos += 1; return v; }
    public i8() { this.need(1); const v = this.buf.readInt8(this.at()); this.pos += 1; return v; }
    public u16() { this.need(2); const v = this.buf.readUInt16LE(this.at()); this.pos += 2; return v; }
    public i16() { this.need(2); const v = this.buf.readInt16LE(this.at()); this.pos += 2; return v; }
    public u32() { this.need(4); const v = this.buf.readUInt32LE(this.at()); this.pos += 4; return v; }
    public i32() { this.need(4); const v = this.buf.readInt32LE(this.at()); this.pos += 4; return v; }
    public f32() { this.need(4); const v = this.buf.readFloatLE(this.at()); this.pos += 4; return v; }
    public f64() { this.need(8); const v = this.buf.readDoubleLE(this.at()); this.pos += 8; return v; }
    public u64() { this.need(8); const v = this.buf.readBigUInt64LE(this.at()); this.pos += 8; return v; }
    public i64() { this.need(8); const v = this.buf.readBigInt64LE(this.at()); this.pos += 8; return v; }
    public string(): string {
        const len = Number(this.u64());
        if (len > this.size) throw new Truncated();
        this.need(len);
        const s = this.buf.toString("utf8", this.at(), this.at() + len);
        this.pos += len;
        return s;
    }
}

function readValue(c: FileCursor, type: number, path: string): GgufReadValue {
    switch (type) {
        case GgufValueType.UINT8: return c.u8();
        case GgufValueType.INT8: return c.i8();
        case GgufValueType.UINT16: return c.u16();
        case GgufValueType.INT16: return c.i16();
        case GgufValueType.UINT32: return c.u32();
        case GgufValueType.INT32: return c.i32();
        case GgufValueType.FLOAT32: return c.f32();
        case GgufValueType.FLOAT64: return c.f64();
        case GgufValueType.BOOL: return c.u8() !== 0;
        case GgufValueType.STRING: return c.string();
        case GgufValueType.UINT64: { const v = c.u64(); return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
        case GgufValueType.INT64: { const v = c.i64(); return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
        case GgufValueType.ARRAY: {
            const itemType = c.u32();
            const n = Number(c.u64());
            if (itemType === GgufValueType.ARRAY)
                throw new GgufFileError(path, "corrupt", `nested metadata array at byte ${c.pos}`,
                    "the file is damaged or not a GGUF file; download or convert it again");
            // every item takes at least one byte (a string its 8-byte length): a count beyond the
            // bytes left is damage, not an allocation to attempt
            if (n > c.remaining())
                throw new GgufFileError(path, "corrupt", `a metadata array claims ${n} items at byte ${c.pos}, more than the file holds`,
                    "the file is damaged; download or convert it again");
            if (itemType === GgufValueType.INT32 || itemType === GgufValueType.UINT32 || itemType === GgufValueType.FLOAT32) {
                const out = itemType === GgufValueType.FLOAT32 ? new Float32Array(n) : itemType === GgufValueType.INT32 ? new Int32Array(n) : new Uint32Array(n);
                for (let i = 0; i < n; i++) out[i] = readValue(c, itemType, path) as number;
                return out;
            }
            const out: GgufReadValue[] = new Array(n);
            for (let i = 0; i < n; i++) out[i] = readValue(c, itemType, path);
            return out;
        }
        default:
            throw new GgufFileError(path, "corrupt", `unknown metadata value type ${type} at byte ${c.pos}`,
                "the file is damaged or not a GGUF file; download or convert it again");
    }
}

/** general.alignment, which divides the data section: anything but a power of two is damage (llama.cpp refuses it too). */
function readAlignment(path: string, value: GgufReadValue | undefined): number {
    if (value === undefined) return GGUF_DEFAULT_ALIGNMENT;
    const n = typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : NaN;
    if (!Number.isInteger(n) || n <= 0 || n > 1 << 20 || (n & (n - 1)) !== 0)
        throw new GgufFileError(path, "corrupt", `general.alignment is ${String(value)}, not a power of two`,
            "the file is damaged; download or convert it again");
    return n;
}

/**
 * Reads a GGUF file's header (metadata and tensor table) without loading tensor data, and checks
 * that every tensor's data lies inside the file. Every failure names the file and what is wrong.
 */
export function readGgufHeader(path: string): GgufHeader {
    if (!existsSync(path))
        throw new GgufFileError(path, "missing", "file not found",
            "check the path, or fetch the model with `ditto models pull NAME` (see `ditto models list`)");
    if (statSync(path).isDirectory())
        throw new GgufFileError(path, "not-gguf", "is a folder, not a GGUF file", "pass the path of a .gguf file");
    const fd = openSync(path, "r");
    try {
        const size = fstatSync(fd).size;
        const c = new FileCursor(fd, size);
        try {
            if (size < 4 || c.u32() !== GGUF_MAGIC)
                throw new GgufFileError(path, "not-gguf", "not a GGUF file (the first 4 bytes are not \"GGUF\")",
                    "pass a .gguf model file; convert Hugging Face safetensors with llama.cpp's convert_hf_to_gguf.py");
            const version = c.u32();
            if (version < 2 || version > 3)
                throw new GgufFileError(path, "version", `GGUF version ${version} is not supported (2 or 3 expected)`,
                    "re-convert the model with a current llama.cpp");
            const nTensors = Number(c.u64());
            const nKv = Number(c.u64());
            if (nTensors > 1e6 || nKv > 1e6)
                throw new GgufFileError(path, "corrupt", `implausible header (${nTensors} tensors, ${nKv} keys)`, "the file is damaged; download it again");
            const metadata = new Map<string, GgufReadValue>();
            for (let i = 0; i < nKv; i++) {
                const key = c.string();
                const type = c.u32();
                metadata.set(key, readValue(c, type, path));
            }
            const raw: {name: string, dims: number[], type: number, rel: number}[] = [];
            for (let i = 0; i < nTensors; i++) {
                const name = c.string();
                const nDims = c.u32();
                if (nDims > 8) throw new GgufFileError(path, "corrupt", `tensor ${name} has ${nDims} dimensions`, "the file is damaged; download it again");
                const dims: number[] = [];
                for (let d = 0; d < nDims; d++) dims.push(Number(c.u64()));
                const type = c.u32();
                const rel = Number(c.u64());
                raw.push({name, dims, type, rel});
            }
            const alignment = readAlignment(path, metadata.get("general.alignment"));
            const dataOffset = Math.ceil(c.pos / alignment) * alignment;
            const tensors: GgufTensorInfo[] = raw.map((t) => {
                if (!ggmlBlockLayout[t.type])
                    return {name: t.name, dims: t.dims, type: t.type, offset: dataOffset + t.rel, bytes: 0};
                const bytes = ggmlTensorBytes(t.type, t.dims.reduce((a, b) => a * b, 1));
                return {name: t.name, dims: t.dims, type: t.type, offset: dataOffset + t.rel, bytes};
            });
            const names = new Set<string>();
            for (const t of tensors) {
                if (names.has(t.name))
                    throw new GgufFileError(path, "corrupt", `tensor ${t.name} appears twice in the tensor table`, "the file is damaged; convert it again");
                names.add(t.name);
                if ((t.offset - dataOffset) % alignment !== 0)
                    throw new GgufFileError(path, "corrupt", `tensor ${t.name} has data offset ${t.offset - dataOffset}, not a multiple of general.alignment ${alignment}`,
                        "the file is damaged; download or convert it again");
                if (!(t.offset + t.bytes <= size))
                    throw new GgufFileError(path, "truncated",
                        `file is truncated: tensor ${t.name} ends at byte ${t.offset + t.bytes} but the file has ${size} bytes`,
                        "the download or copy was cut short; run `ditto models pull` again (it resumes) or copy the file again");
            }
            return {path, version, metadata, tensors, dataOffset, fileSize: size};
        } catch (err) {
            if (err instanceof Truncated)
                throw new GgufFileError(path, "truncated", `file is truncated inside its header (${size} bytes)`,
                    "the download or copy was cut short; run `ditto models pull` again (it resumes) or copy the file again");
            throw err;
        }
    } finally {
        closeSync(fd);
    }
}
