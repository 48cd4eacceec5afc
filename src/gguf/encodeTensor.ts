import {nativeAddonIfBuilt} from "../engine/nativeAddonIfBuilt.js";
import {GgmlType, ggmlBlockLayout} from "./ggufTypes.js";
import {encodeTensorTs} from "./encodeTensorTs.js";

/** The types the addon's quantizeTensor writes (F32 stays a view in TypeScript). */
const nativeTypes = new Set<number>([GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
    GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K]);

/**
 * float32 values -> raw bytes of the given ggml type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
 * Q4_K, Q5_K, Q6_K). The addon's quantizer writes the same bytes as the TypeScript one
 * (encodeTensorTs; test/gguf/encodeTensor.test.ts holds them to it for every type), Q4_K and
 * Q6_K some 10 times faster (`npm run bench:quantize`), which a 7B fixture needs. TypeScript
 * encodes where the addon is not built (or predates quantizeTensor), and keeps F32 (a view, no
 * copy) and rows that are not whole blocks (its errors name the type).
 */
export function encodeTensor(values: Float32Array, type: number): Uint8Array {
    const native = nativeTypes.has(type) && values.length % ggmlBlockLayout[type]![0] === 0 ? nativeAddonIfBuilt() : null;
    return typeof native?.quantizeTensor === "function" ? native.quantizeTensor(values, type) : encodeTensorTs(values, type);
}
