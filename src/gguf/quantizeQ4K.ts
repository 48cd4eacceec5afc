import {packKQuantScales} from "./packKQuantScales.js";
import {toHalf, fromHalf} from "./halfFloat.js";

/**
 * float32 values -> Q4_K super-blocks of 256 (144 bytes): f16 d, f16 dmin, 12 bytes of eight 6-bit
 * scales and mins, 128 bytes of nibbles. A plain min/max fit per 32-value sub-block, not
 * llama.cpp's error-minimizing search: simple, written from the block layout, for test models.
 */
export function quantizeQ4K(values: Float32Array): Uint8Array {
    const out = new Uint8Array(values.length / 256 * 144);
    const view = new DataView(out.buffer);
    for (let b = 0; b < values.length / 256; b++) {
        const x = values.subarray(b * 256, b * 256 + 256);
        const scales: number[] = [], mins: number[] = [];
        for (let j = 0; j < 8; j++) {
            const sub = x.subarray(j * 32, j * 32 + 32);
            const lo = Math.min(0, ...sub), hi = Math.max(...sub);
            scales.push((hi - lo) / 15);
            mins.push(-lo);
        }
        const d = fromHalf(toHalf(Math.max(...scales) / 63)), dmin = fromHalf(toHalf(Math.max(...mins) / 63));
        const sc = scales.map((s) => d ? Math.min(63, Math.round(s / d)) : 0), mn = mins.map((m) => dmin ? Math.min(63, Math.round(m / dmin)) : 0);
        const at = b * 144;
        view.setUint16(at, toHalf(d), true);
        view.setUint16(at + 2, toHalf(dmin), true);
        packKQuantScales(out, at + 4, sc, mn);
        for (let j = 0; j < 8; j++) {
            const k = d * sc[j]!, m = dmin * mn[j]!;
            for (let l = 0; l < 32; l++) {
                const q = k ? Math.max(0, Math.min(15, Math.round((x[j * 32 + l]! + m) / k))) : 0;
                out[at + 16 + (j >> 1) * 32 + l] |= q << ((j & 1) * 4);
            }
        }
    }
    return out;
}
