import {halfTable} from "./halfTable.js";

/**
 * Q6_K super-block of 256 values (210 bytes): 128 bytes low 4 bits, 64 bytes high 2 bits,
 * 16 int8 scales (one per 16 values), f16 d. Value = d * scale * (q - 32), q in 0..63.
 * Each 128-value half interleaves four 32-value quarters in its ql/qh bytes.
 */
export function dequantizeQ6K(bytes: Uint8Array, out: Float32Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const table = halfTable();
    for (let b = 0; b < out.length / 256; b++) {
        const at = b * 210;
        const d = table[view.getUint16(at + 208, true)]!;
        for (let half = 0; half < 2; half++) {
            const ql = at + half * 64, qh = at + 128 + half * 32, sc = at + 192 + half * 8, base = b * 256 + half * 128;
            for (let l = 0; l < 32; l++) {
                const h = bytes[qh + l]!, is = l >> 4;
                const q1 = ((bytes[ql + l]! & 0xf) | ((h & 3) << 4)) - 32;
                const q2 = ((bytes[ql + l + 32]! & 0xf) | (((h >> 2) & 3) << 4)) - 32;
                const q3 = ((bytes[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
                const q4 = ((bytes[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
                out[base + l] = d * view.getInt8(sc + is) * q1;
                out[base + l + 32] = d * view.getInt8(sc + is + 2) * q2;
                out[base + l + 64] = d * view.getInt8(sc + is + 4) * q3;
                out[base + l + 96] = d * view.getInt8(sc + is + 6) * q4;
            }
        }
    }
}
