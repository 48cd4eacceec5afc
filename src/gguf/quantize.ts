import {toHalf} from "./halfFloat.js";
import {GgmlType} from "./ggufTypes.js";
import {encodeQ4K} from "./encodeQ4K.js";

/** float32 values -> raw bytes of the given ggml type (F32, F16, BF16, Q8_0, Q4_K). */
export function encodeTensor(values: Float32Array, type: number): Uint8Array {
    switch (type) {
        case GgmlType.F32:
            return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        case GgmlType.F16: {
            const out = new Uint16Array(values.length);
            for (let i = 0; i < values.length; i++) out[i] = toHalf(values[i]!);
            return new Uint8Array(out.buffer);
        }
        case GgmlType.BF16: {
            const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
            const out = new Uint16Array(values.length);
            for (let i = 0; i < values.length; i++) {
                const x = bits[i]!;
                out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16; // round to nearest even
            }
            return new Uint8Array(out.buffer);
        }
        case GgmlType.Q8_0:
            return quantizeQ8_0(values);
        case GgmlType.Q4_K:
            return encodeQ4K(values);
        default:
            throw new Error(`encoding to ggml type ${type} is not implemented`);
    }
}

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
