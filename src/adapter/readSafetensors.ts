import {readFileSync} from "node:fs";
import {DittoError} from "../errors/DittoError.js";

export type SafetensorsEntry = {dtype: string, shape: number[], data: Float32Array | Uint8Array};

/** Reads a safetensors file whole (adapters are small): F32 tensors as Float32Array, others as raw bytes. */
export function readSafetensors(path: string): {metadata: Record<string, string>, tensors: Map<string, SafetensorsEntry>} {
    const file = readFileSync(path);
    const bad = (detail: string) => new DittoError(`${path}: not a safetensors file (${detail})`, {hint: "write it again with `ditto adapter export-peft`", code: "SAFETENSORS_CORRUPT"});
    if (file.length < 8) throw bad("shorter than 8 bytes");
    const headerLength = Number(file.readBigUInt64LE(0));
    if (8 + headerLength > file.length) throw bad(`header length ${headerLength} runs past the end`);
    let header: Record<string, {dtype: string, shape: number[], data_offsets: [number, number]} | Record<string, string>>;
    try {
        header = JSON.parse(file.toString("utf8", 8, 8 + headerLength));
    } catch {
        throw bad("header is not JSON");
    }
    const dataStart = 8 + headerLength;
    const tensors = new Map<string, SafetensorsEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, entry] of Object.entries(header)) {
        if (name === "__metadata__") { metadata = entry as Record<string, string>; continue; }
        const {dtype, shape, data_offsets: [begin, end]} = entry as {dtype: string, shape: number[], data_offsets: [number, number]};
        if (dataStart + end > file.length) throw bad(`tensor ${name} runs past the end`);
        const raw = file.subarray(dataStart + begin, dataStart + end);
        const copy = new Uint8Array(raw); // copy: aligned and detached from the file buffer
        tensors.set(name, {dtype, shape, data: dtype === "F32" ? new Float32Array(copy.buffer) : copy});
    }
    return {metadata, tensors};
}
