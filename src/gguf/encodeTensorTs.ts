import {toHalf} from "./halfFloat.js";
import {GgmlType} from "./ggufTypes.js";
import {quantizeBlocks32} from "./quantizeBlocks32.js";
import {quantizeQ8_0} from "./quantizeQ8_0.js";
import {quantizeQ4K} from "./quantizeQ4K.js";
import {quantizeQ5K} from "./quantizeQ5K.js";
import {quantizeQ6K} from "./quantizeQ6K.js";

/**
 * float32 values -> raw bytes of the given ggml type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
 * Q4_K, Q5_K, Q6_K), in TypeScript: the reference the native quantizer (native/src/Quantize.cpp)
 * must match byte for byte, and the fallback where the addon is not built.
 */
export function encodeTensorTs(values: Float32Array, type: number): Uint8Array {
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
        case GgmlType.Q4_0: case GgmlType.Q4_1: case GgmlType.Q5_0: case GgmlType.Q5_1:
            return quantizeBlocks32(values, type);
        case GgmlType.Q4_K:
            return quantizeQ4K(values);
        case GgmlType.Q5_K:
            return quantizeQ5K(values);
        case GgmlType.Q6_K:
            return quantizeQ6K(values);
        default:
            throw new Error(`encoding to ggml type ${type} is not implemented`);
    }
}
