import {packKQuantScales} from "./packKQuantScales.js";
import {fromHalf, toHalf} from "./halfFloat.js";

/**
 * float32 values -> Q5_K super-blocks of 256 (176 bytes): f16 d, f16 dmin, 12 bytes of eight 6-bit
 * scales and eight 6-bit mins (packed as Q4_K packs them), 32 bytes of fifth bits (bit j of byte l
 * belongs to value l of sub-block j), 128 bytes of nibbles (sub-blocks 2k and 2k + 1 share 32
 * bytes, low and high nibble). Value = d * scale_j * q - dmin * min_j, q in 0..31. A plain
 * min/max fit per 32-value sub-block, not llama.cpp's error-minimizing search: good enough for
 * test models, and the decoders are what the tests check.
 */
export function quantizeQ5K(values: Float32Array): Uint8Array {
    if (values.length % 256 !== 0) throw new Error(`Q5_K needs a multiple of 256 values, got ${values.length}`);
    const out = new Uint8Array(values.length / 256 * 176);
    const view = new DataView(out.buffer);
    const scales = new Float64Array(8), mins = new Float64Array(8), sc = new Uint8Array(8), mn = new Uint8Array(8);
    for (let b = 0; b < values.length / 256; b++) {
        const x = values.subarray(b * 256, b * 256 + 256);
        let maxScale = 0, maxMin = 0;
        for (let j = 0; j < 8; j++) {
            let lo = 0, hi = -Infinity;
            for (let l = 0; l < 32; l++) { lo = Math.min(lo, x[j * 32 + l]!); hi = Math.max(hi, x[j * 32 + l]!); }
            scales[j] = (hi - lo) / 31;
            mins[j] = -lo;
            maxScale = Math.max(maxScale, scales[j]!);
            maxMin = Math.max(maxMin, mins[j]!);
        }
        const d = fromHalf(toHalf(maxScale / 63)), dmin = fromHalf(toHalf(maxMin / 63));
        for (let j = 0; j < 8; j++) {
            sc[j] = d ? Math.min(63, Math.round(scales[j]! / d)) : 0;
            mn[j] = dmin ? Math.min(63, Math.round(mins[j]! / dmin)) : 0;
        }
        const at = b * 176;
        view.setUint16(at, toHalf(d), true);
        view.setUint16(at + 2, toHalf(dmin), true);
        packKQuantScales(out, at + 4, sc, mn);
        for (let j = 0; j < 8; j++) {
            const k = d * sc[j]!, m = dmin * mn[j]!;
            for (let l = 0; l < 32; l++) {
                const q = k ? Math.max(0, Math.min(31, Math.round((x[j * 32 + l]! + m) / k))) : 0;
                out[at + 16 + l] |= (q >> 4) << j;
                out[at + 48 + (j >> 1) * 32 + l] |= (q & 0xf) << ((j & 1) * 4);
            }
        }
    }
    return out;
}
