import {DittoError} from "../errors/DittoError.js";
import type {GgufHeader} from "../gguf/readGgufHeader.js";
import {GgmlType, ggmlTypeName} from "../gguf/ggufTypes.js";
import {fromBf16} from "../gguf/halfFloat.js";
import {dequantizeBlocks32} from "./dequantizeBlocks32.js";
import {dequantizeQ4K} from "./dequantizeQ4K.js";
import {dequantizeQ5K} from "./dequantizeQ5K.js";
import {dequantizeQ6K} from "./dequantizeQ6K.js";
import {halfTable} from "./halfTable.js";
import {readTensorBytes} from "./readTensorBytes.js";

/**
 * One tensor as float32, dequantized: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and the
 * K-quants Q4_K, Q5_K, Q6_K (the types the training engine reads). Other types are an error that
 * says what to do.
 */
export function readTensorValues(header: GgufHeader, name: string): Float32Array {
    const tensor = header.tensors.find((t) => t.name === name);
    if (!tensor) throw new DittoError(`${header.path}: has no tensor ${name}`, {hint: "check that the adapter belongs to this model (`ditto adapter check`)", code: "GGUF_NO_TENSOR"});
    const bytes = readTensorBytes(header.path, tensor);
    const n = tensor.dims.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    switch (tensor.type) {
        case GgmlType.F32:
            out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
            return out;
        case GgmlType.F16: {
            const table = halfTable();
            const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
            for (let i = 0; i < n; i++) out[i] = table[halves[i]!]!;
            return out;
        }
        case GgmlType.BF16: {
            const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
            for (let i = 0; i < n; i++) out[i] = fromBf16(halves[i]!);
            return out;
        }
        case GgmlType.Q8_0: {
            const table = halfTable();
            const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
            for (let b = 0; b < n / 32; b++) {
                const d = table[bytes[b * 34]! | (bytes[b * 34 + 1]! << 8)]!;
                for (let i = 0; i < 32; i++) out[b * 32 + i] = d * q[b * 34 + 2 + i]!;
            }
            return out;
        }
        case GgmlType.Q4_K:
            dequantizeQ4K(bytes, out);
            return out;
        case GgmlType.Q6_K:
            dequantizeQ6K(bytes, out);
            return out;
        case GgmlType.Q5_K:
            dequantizeQ5K(bytes, out);
            return out;
        case GgmlType.Q4_0: case GgmlType.Q4_1: case GgmlType.Q5_0: case GgmlType.Q5_1:
            dequantizeBlocks32(bytes, tensor.type, out);
            return out;
        default:
            throw new DittoError(`${header.path}: tensor ${name} is ${ggmlTypeName(tensor.type)}, which ditto cannot dequantize for merging (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)`,
                {hint: "merge into an F16 or Q8_0 GGUF of the model, or load the adapter at run time instead of merging", code: "ADAPTER_MERGE_TYPE"});
    }
}
