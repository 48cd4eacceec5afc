import {halfTable} from "./halfTable.js";
import {kQuantScaleMin} from "./kQuantScaleMin.js";

/**
 * Q5_K super-block of 256 values (176 bytes): f16 d, f16 dmin, 12 bytes of eight 6-bit scales and
 * mins (packed as in Q4_K), 32 bytes of fifth bits (bit j of byte l: value l of sub-block j), 128
 * bytes of nibbles (sub-blocks 2c and 2c+1 share 32 bytes: low, high nibble). Sub-block j (32
 * values) is (d * scale_j) * q - dmin * min_j, each step rounded to float32 as the native decoder does.
 */
export function dequantizeQ5K(bytes: Uint8Array, out: Float32Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const table = halfTable();
    const scaleMin: [number, number] = [0, 0];
    for (let b = 0; b < out.length / 256; b++) {
        const at = b * 176;
        const d = table[view.getUint16(at, true)]!, dmin = table[view.getUint16(at + 2, true)]!;
        const sc = at + 4, qh = at + 16, qs = at + 48;
        for (let j = 0; j < 8; j++) {
            const [scale, min] = kQuantScaleMin(bytes, sc, j, scaleMin);
            const k = Math.fround(d * scale), m = Math.fround(dmin * min);
            const q = qs + (j >> 1) * 32, shift = (j & 1) * 4, base = b * 256 + j * 32;
            for (let l = 0; l < 32; l++) out[base + l] = Math.fround(k * (((bytes[q + l]! >> shift) & 0xf) | (((bytes[qh + l]! >> j) & 1) << 4))) - m;
        }
    }
}
