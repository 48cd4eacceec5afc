import {closeSync, openSync, readSync} from "node:fs";
import {DittoError} from "../errors/DittoError.js";
import type {GgufHeader, GgufTensorInfo} from "../gguf/readGgufHeader.js";
import {GgmlType, ggmlTypeName} from "../gguf/ggufTypes.js";
import {fromBf16, fromHalf} from "../gguf/halfFloat.js";

/** The raw bytes of one tensor. */
export function readTensorBytes(path: string, tensor: GgufTensorInfo): Buffer {
    const out = Buffer.alloc(tensor.bytes);
    const fd = openSync(path, "r");
    try {
        let got = 0;
        while (got < out.length) {
            const n = readSync(fd, out, got, out.length - got, tensor.offset + got);
            if (n === 0) throw new DittoError(`${path}: tensor ${tensor.name} is cut short`, {hint: "the file is truncated; copy it again", code: "GGUF_TRUNCATED"});
            got += n;
        }
    } finally {
        closeSync(fd);
    }
    return out;
}

/**
 * One tensor as float32, dequantized. Covers the types ditto writes and the fixtures use
 * (F32, F16, BF16, Q8_0); K-quants are the native engine's job, and merging into them would lose
 * the merge anyway, so they are an error that says what to do.
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
        case GgmlType.Q8_0:
            for (let b = 0; b < n / 32; b++) {
                const d = fromHalf(bytes.readUInt16LE(b * 34));
                for (let i = 0; i < 32; i++) out[b * 32 + i] = d * bytes.readInt8(b * 34 + 2 + i);
            }
            return out;
        default:
            throw new DittoError(`${header.path}: tensor ${name} is ${ggmlTypeName(tensor.type)}, which ditto cannot dequantize for merging (F32, F16, BF16, Q8_0 only)`,
                {hint: "merge into an F16 or Q8_0 GGUF of the model, or load the adapter at run time instead of merging", code: "ADAPTER_MERGE_TYPE"});
    }
}

let halfValues: Float32Array | undefined;
/** All 65536 half values, so dequantizing a multi-gigabyte F16 tensor is one lookup per value. */
function halfTable(): Float32Array {
    if (!halfValues) {
        halfValues = new Float32Array(65536);
        for (let h = 0; h < 65536; h++) halfValues[h] = fromHalf(h);
    }
    return halfValues;
}
