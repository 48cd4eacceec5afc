import {toHalf, fromHalf} from "./halfFloat.js";

/**
 * Q4_K super-blocks of 256 values (144 bytes; layout in src/adapter/dequantizeQ4K.ts), simple
 * rather than error-optimal: per 32-value sub-block the scale (max - min(0, min)) / 15 and the
 * min -min(0, min), both as 6-bit multiples of two f16 super-block factors. Written for the test
 * and benchmark fixtures (a 7B-shaped model is 6.5 billion values, so plain loops, no spreads).
 */
export function encodeQ4K(values: Float32Array): Uint8Array {
    if (values.length % 256 !== 0) throw new Error("Q4_K needs a multiple of 256 values");
    const out = new Uint8Array(values.length / 256 * 144);
    const view = new DataView(out.buffer);
    const scales = new Float64Array(8), mins = new Float64Array(8), sc = new Int32Array(8), mn = new Int32Array(8);
    for (let b = 0; b < values.length / 256; b++) {
        const x = b * 256;
        let maxScale = -Infinity, maxMin = -Infinity;
        for (let j = 0; j < 8; j++) {
            let lo = 0, hi = -Infinity;
            for (let l = 0; l < 32; l++) {
                const v = values[x + j * 32 + l]!;
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            scales[j] = (hi - lo) / 15;
            mins[j] = -lo;
            if (scales[j]! > maxScale) maxScale = scales[j]!;
            if (mins[j]! > maxMin) maxMin = mins[j]!;
        }
        const d = fromHalf(toHalf(maxScale / 63)), dmin = fromHalf(toHalf(maxMin / 63));
        for (let j = 0; j < 8; j++) {
            sc[j] = d ? Math.min(63, Math.round(scales[j]! / d)) : 0;
            mn[j] = dmin ? Math.min(63, Math.round(mins[j]! / dmin)) : 0;
        }
        const at = b * 144;
        view.setUint16(at, toHalf(d), true);
        view.setUint16(at + 2, toHalf(dmin), true);
        for (let j = 0; j < 4; j++) {
            out[at + 4 + j] = (sc[j]! & 63) | ((sc[j + 4]! >> 4) << 6);
            out[at + 8 + j] = (mn[j]! & 63) | ((mn[j + 4]! >> 4) << 6);
            out[at + 12 + j] = (sc[j + 4]! & 0xf) | ((mn[j + 4]! & 0xf) << 4);
        }
        for (let j = 0; j < 8; j++) {
            const k = d * sc[j]!, m = dmin * mn[j]!, shift = (j & 1) * 4, q = at + 16 + (j >> 1) * 32;
            for (let l = 0; l < 32; l++) {
                const v = k ? Math.max(0, Math.min(15, Math.round((values[x + j * 32 + l]! + m) / k))) : 0;
                out[q + l] |= v << shift;
            }
        }
    }
    return out;
}
