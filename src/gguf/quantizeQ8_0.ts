import {toHalf} from "./halfFloat.js";

/** Q8_0: blocks of 32 values, one f16 scale d = max|x| / 127 and 32 int8 q = round(x / d). */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
    if (values.length % 32 !== 0) throw new Error("Q8_0 needs a multiple of 32 values");
    const nBlocks = values.length / 32;
    const out = new Uint8Array(nBlocks * 34);
    const view = new DataView(out.buffer);
    for (let b = 0; b < nBlocks; b++) {
        let amax = 0;
        for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(values[b * 32 + i]!));
        const d = amax / 127;
        const id = d ? 1 / d : 0;
        view.setUint16(b * 34, toHalf(d), true);
        for (let i = 0; i < 32; i++) view.setInt8(b * 34 + 2 + i, Math.round(values[b * 32 + i]! * id));
    }
    return out;
}
