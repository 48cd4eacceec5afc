import {toHalf, fromHalf} from "../../src/gguf/halfFloat.js";

/**
 * Simple (not error-optimal) Q4_K and Q6_K encoders, written from the block layouts, so tests can
 * make K-quant models and check ditto's decoders against llama.cpp's.
 */
export function encodeQ4K(values: Float32Array): Uint8Array {
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
        for (let j = 0; j < 4; j++) {
            out[at + 4 + j] = (sc[j]! & 63) | ((sc[j + 4]! >> 4) << 6);
            out[at + 8 + j] = (mn[j]! & 63) | ((mn[j + 4]! >> 4) << 6);
            out[at + 12 + j] = (sc[j + 4]! & 0xf) | ((mn[j + 4]! & 0xf) << 4);
        }
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

export function encodeQ6K(values: Float32Array): Uint8Array {
    const out = new Uint8Array(values.length / 256 * 210);
    const view = new DataView(out.buffer);
    for (let b = 0; b < values.length / 256; b++) {
        const x = values.subarray(b * 256, b * 256 + 256);
        const scales: number[] = [];
        for (let k = 0; k < 16; k++) scales.push(Math.max(...x.subarray(k * 16, k * 16 + 16).map(Math.abs)) / 31);
        const d = fromHalf(toHalf(Math.max(...scales) / 127));
        const sc = scales.map((s) => d ? Math.min(127, Math.round(s / d)) : 0);
        const q = Array.from(x, (v, i) => {
            const k = d * sc[i >> 4]!;
            return k ? Math.max(0, Math.min(63, Math.round(v / k) + 32)) : 32;
        });
        const at = b * 210;
        for (let half = 0; half < 2; half++) {
            const ql = at + half * 64, qh = at + 128 + half * 32, base = half * 128;
            for (let l = 0; l < 32; l++) {
                const q1 = q[base + l]!, q2 = q[base + l + 32]!, q3 = q[base + l + 64]!, q4 = q[base + l + 96]!;
                out[ql + l] = (q1 & 0xf) | ((q3 & 0xf) << 4);
                out[ql + l + 32] = (q2 & 0xf) | ((q4 & 0xf) << 4);
                out[qh + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
            }
            for (let k = 0; k < 8; k++) view.setInt8(at + 192 + half * 8 + k, sc[half * 8 + k]!);
        }
        view.setUint16(at + 208, toHalf(d), true);
    }
    return out;
}
