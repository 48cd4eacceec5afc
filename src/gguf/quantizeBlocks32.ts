import {toHalf} from "./halfFloat.js";
import {GgmlType} from "./ggufTypes.js";

/** The 32-value block types of ggml with 4 or 5 bits per value. */
export type Blocks32Type = typeof GgmlType.Q4_0 | typeof GgmlType.Q4_1 | typeof GgmlType.Q5_0 | typeof GgmlType.Q5_1;

/**
 * float32 values -> Q4_0, Q4_1, Q5_0 or Q5_1 blocks of 32, as ggml's reference quantizers round:
 *   Q4_0 (18 bytes): f16 d = m / -8 where m is the value of largest magnitude; q = x / d + 8 in 0..15
 *   Q4_1 (20 bytes): f16 d = (max - min) / 15, f16 min; q = (x - min) / d in 0..15
 *   Q5_0 (22 bytes): f16 d = m / -16, u32 of fifth bits; q = x / d + 16 in 0..31
 *   Q5_1 (24 bytes): f16 d = (max - min) / 31, f16 min, u32 of fifth bits; q = (x - min) / d in 0..31
 * then 16 bytes of nibbles: byte l holds value l (low nibble) and value l + 16 (high nibble); bit i
 * of the fifth-bit word is bit 4 of value i.
 */
export function quantizeBlocks32(values: Float32Array, type: Blocks32Type): Uint8Array {
    if (values.length % 32 !== 0) throw new Error(`ggml type ${type} needs a multiple of 32 values, got ${values.length}`);
    const withMin = type === GgmlType.Q4_1 || type === GgmlType.Q5_1;
    const fiveBits = type === GgmlType.Q5_0 || type === GgmlType.Q5_1;
    const blockBytes = 18 + (withMin ? 2 : 0) + (fiveBits ? 4 : 0);
    const top = fiveBits ? 31 : 15;
    const nBlocks = values.length / 32;
    const out = new Uint8Array(nBlocks * blockBytes);
    const view = new DataView(out.buffer);
    const q = new Uint8Array(32);
    for (let b = 0; b < nBlocks; b++) {
        const x = values.subarray(b * 32, b * 32 + 32);
        const at = b * blockBytes;
        if (withMin) {
            let lo = Infinity, hi = -Infinity;
            for (let i = 0; i < 32; i++) { lo = Math.min(lo, x[i]!); hi = Math.max(hi, x[i]!); }
            const d = (hi - lo) / top, id = d ? 1 / d : 0;
            view.setUint16(at, toHalf(d), true);
            view.setUint16(at + 2, toHalf(lo), true);
            for (let i = 0; i < 32; i++) q[i] = Math.min(top, Math.floor((x[i]! - lo) * id + 0.5));
        } else {
            let m = 0;
            for (let i = 0; i < 32; i++) if (Math.abs(x[i]!) > Math.abs(m)) m = x[i]!;
            const zero = (top + 1) / 2; // 8 or 16: the largest magnitude maps to q = 0
            const d = m / -zero, id = d ? 1 / d : 0;
            view.setUint16(at, toHalf(d), true);
            for (let i = 0; i < 32; i++) q[i] = Math.max(0, Math.min(top, Math.floor(x[i]! * id + zero + 0.5)));
        }
        const qs = at + blockBytes - 16;
        for (let l = 0; l < 16; l++) out[qs + l] = (q[l]! & 0xf) | ((q[l + 16]! & 0xf) << 4);
        if (fiveBits) {
            let high = 0;
            for (let i = 0; i < 32; i++) high |= ((q[i]! >> 4) & 1) << i;
            view.setUint32(qs - 4, high >>> 0, true);
        }
    }
    return out;
}
