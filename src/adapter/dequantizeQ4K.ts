import {halfTable} from "./halfTable.js";

/**
 * Q4_K super-block of 256 values (144 bytes): f16 d, f16 dmin, 12 bytes holding eight 6-bit
 * scales and eight 6-bit mins, 128 bytes of 4-bit quants. Sub-block j (32 values) is
 * d * scale_j * q - dmin * min_j; quants of sub-blocks 2c and 2c+1 share bytes (low, high nibble).
 */
export function dequantizeQ4K(bytes: Uint8Array, out: Float32Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const table = halfTable();
    for (let b = 0; b < out.length / 256; b++) {
        const at = b * 144;
        const d = table[view.getUint16(at, true)]!, dmin = table[view.getUint16(at + 2, true)]!;
        const sc = at + 4, qs = at + 16;
        for (let j = 0; j < 8; j++) {
            // 6-bit scale and min: bytes 0-3 / 4-7 hold sub-blocks 0-3 directly; 4-7 take their low
            // four bits from bytes 8-11 and their top two from the spare bits of bytes 0-7.
            let scale: number, min: number;
            if (j < 4) {
                scale = bytes[sc + j]! & 63;
                min = bytes[sc + j + 4]! & 63;
            } else {
                scale = (bytes[sc + j + 4]! & 0xf) | ((bytes[sc + j - 4]! >> 6) << 4);
                min = (bytes[sc + j + 4]! >> 4) | ((bytes[sc + j]! >> 6) << 4);
            }
            const k = d * scale, m = dmin * min;
            const q = qs + (j >> 1) * 32, shift = (j & 1) * 4, base = b * 256 + j * 32;
            for (let l = 0; l < 32; l++) out[base + l] = k * ((bytes[q + l]! >> shift) & 0xf) - m;
        }
    }
}
