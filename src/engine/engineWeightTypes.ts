import {GgmlType} from "../gguf/ggufTypes.js";

/**
 * Matrix types the native training engine reads, in place from the mapped file and decoded inside
 * the products (native/src/Dequantize.cpp, kDecodedTypes); it refuses a matrix of any other type.
 */
export const engineWeightTypes: ReadonlySet<number> = new Set<number>([GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
    GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K]);
