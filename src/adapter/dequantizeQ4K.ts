import {halfTable} from "./halfTable.js";
import {kQuantScaleMin} from "./kQuantScaleMin.js";

/**
 * Q4_K super-block of 256 values (144 bytes): f16 d, f16 dmin, 12 bytes holding eight 6-bit
 * scales and eight 6-bit mins, 128 bytes of 4-bit quants. Sub-block j (32 values) is
 * d * scale_j * q - dmin * min_j; quants of sub-blocks 2c and 2c+1 share bytes (low, high nibble).
 */
export function dequantizeQ4K(bytes: Uint8Array, out: Float32Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const table = halfTable();
    const scaleMin: [number, number] = [0, 0];
    for (let b = 0; b < out.length / 256; b++) {
        const at = b * 144;
        const d = table[view.getUint16(at, true)]!, dmin = table[view.getUint16(at + 2, true)]!;
        const sc = at + 4, qs = at + 16;
        for (let j = 0; j < 8; j++) {
            const [scale, min] = kQuantScaleMin(bytes, sc, j, scaleMin);
            const k = d * scale, m = dmin * min;
            const q = qs + (j >> 1) * 32, shift = (j & 1) * 4, base = b * 256 + j * 32;
            for (let l = 0; l < 32; l++) out[base + l] = k * ((bytes[q + l]! >> shift) & 0xf) - m;
        }
    }
}
