/** GGUF v3 constants (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md). */
export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

export const enum GgufValueType {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
    STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12
}

/** ggml tensor types this project reads or writes, with their block layout. */
export const GgmlType = {
    F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q8_1: 9, Q2_K: 10, Q3_K: 11,
    Q4_K: 12, Q5_K: 13, Q6_K: 14, Q8_K: 15, IQ2_XXS: 16, IQ2_XS: 17, IQ3_XXS: 18, IQ1_S: 19, IQ4_NL: 20,
    IQ3_S: 21, IQ2_S: 22, IQ4_XS: 23, IQ1_M: 29, BF16: 30, TQ1_0: 34, TQ2_0: 35, MXFP4: 39
} as const;
export type GgmlTypeName = keyof typeof GgmlType;

/** [elements per block, bytes per block] (as the bundled llama.cpp reports them) */
export const ggmlBlockLayout: Record<number, [number, number]> = {
    0: [1, 4], 1: [1, 2], 2: [32, 18], 3: [32, 20], 6: [32, 22], 7: [32, 24], 8: [32, 34], 9: [32, 36],
    10: [256, 84], 11: [256, 110], 12: [256, 144], 13: [256, 176], 14: [256, 210], 15: [256, 292],
    16: [256, 66], 17: [256, 74], 18: [256, 98], 19: [256, 50], 20: [32, 18], 21: [256, 110], 22: [256, 82], 23: [256, 136],
    29: [256, 56], 30: [1, 2], 34: [256, 54], 35: [256, 66], 39: [32, 17]
};

export function ggmlTypeName(type: number): string {
    for (const [name, id] of Object.entries(GgmlType)) if (id === type) return name;
    return `type#${type}`;
}

/** Bytes taken by `elements` values of a ggml type (elements must be a multiple of the block size). */
export function ggmlTensorBytes(type: number, elements: number): number {
    const layout = ggmlBlockLayout[type];
    if (!layout) throw new Error(`unknown ggml type ${type}`);
    const [blockElems, blockBytes] = layout;
    return Math.ceil(elements / blockElems) * blockBytes;
}

/** A metadata value with its GGUF type spelled out, so writing is exact. */
export type GgufValue =
    | {type: "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64" | "u64" | "i64", value: number | bigint}
    | {type: "bool", value: boolean}
    | {type: "string", value: string}
    | {type: "array", itemType: "string", value: string[]}
    | {type: "array", itemType: "i32" | "u32" | "f32" | "u8" | "i8", value: ArrayLike<number>};

/** A value as read back: numbers, strings, booleans, bigints and arrays of them. */
export type GgufReadValue = number | bigint | string | boolean | GgufReadValue[] | ArrayLike<number>;
