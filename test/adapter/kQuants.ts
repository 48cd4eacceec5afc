import {toHalf, fromHalf} from "../../src/gguf/halfFloat.js";

/**
 * A simple (not error-optimal) Q6_K encoder, written from the block layout, so tests can make
 * K-quant models and check ditto's decoders against llama.cpp's (Q4_K: src/gguf/encodeQ4K.ts).
 */
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
