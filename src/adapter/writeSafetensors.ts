import {writeFileAtomic} from "../runs/writeFileAtomic.js";

export type SafetensorsTensor = {name: string, shape: number[], data: Float32Array};

/**
 * Writes a safetensors file (the Hugging Face weight format): an 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}} padded with spaces to
 * 8 bytes so the data stays aligned, then the raw little-endian data in header order.
 */
export function writeSafetensors(path: string, tensors: readonly SafetensorsTensor[], metadata: Record<string, string> = {}): void {
    const header: Record<string, unknown> = {__metadata__: {format: "pt", ...metadata}};
    let offset = 0;
    for (const t of tensors) {
        if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length)
            throw new Error(`safetensors tensor ${t.name}: shape [${t.shape.join(", ")}] does not hold ${t.data.length} values`);
        header[t.name] = {dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.byteLength]};
        offset += t.data.byteLength;
    }
    let json = JSON.stringify(header);
    json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
    const jsonBytes = Buffer.from(json, "utf8");
    const lengthBytes = Buffer.alloc(8);
    lengthBytes.writeBigUInt64LE(BigInt(jsonBytes.length));

    writeFileAtomic(path, (write) => {
        write(lengthBytes);
        write(jsonBytes);
        for (const t of tensors) write(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    });
}
