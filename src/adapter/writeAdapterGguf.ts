import {dirname} from "node:path";
import {writeGguf, GgufTensorSpec} from "../gguf/GgufWriter.js";
import {GgmlType, GgufValue} from "../gguf/ggufTypes.js";
import {encodeTensor} from "../gguf/encodeTensor.js";
import {LoraPair, loraTargetTensor} from "../engine/TrainEngine.js";
import {outputDirs} from "../runs/outputDirs.js";

export type AdapterInfo = {
    /** the base model's general.architecture; llama.cpp refuses an adapter whose architecture differs */
    arch: string,
    alpha: number,
    /** default "f32": LoRA matrices are small, and F16 rounding of B A is visible at inference */
    type?: "f32" | "f16",
    name?: string
};

/**
 * Writes LoRA pairs as the adapter GGUF llama.cpp and node-llama-cpp load
 * (`createContext({lora: {adapters: [{filePath, scale}]}})`): applied as W x + scale (alpha/r) B A x.
 * A [r x n_in] row-major is GGUF dims [n_in, r] (ne0 = row length), B [n_out x r] is [r, n_out],
 * so the engine's buffers are written as they are.
 */
export function writeAdapterGguf(pairs: readonly LoraPair[], info: AdapterInfo, path: string): void {
    const type = info.type === "f16" ? GgmlType.F16 : GgmlType.F32;
    const metadata: Record<string, GgufValue> = {
        "general.architecture": {type: "string", value: info.arch},
        "general.type": {type: "string", value: "adapter"},
        "general.name": {type: "string", value: info.name ?? "ditto LoRA adapter"},
        "adapter.type": {type: "string", value: "lora"},
        "adapter.lora.alpha": {type: "f32", value: info.alpha}
    };
    const tensors: GgufTensorSpec[] = [];
    // Sorted by layer then projection so files are stable whatever order the engine lists pairs in.
    const order = Object.keys(loraTargetTensor);
    const sorted = [...pairs].sort((x, y) => x.layer - y.layer || order.indexOf(x.target) - order.indexOf(y.target));
    for (const p of sorted) {
        const rank = p.a.length / p.nIn;
        if (!Number.isInteger(rank) || p.b.length !== p.nOut * rank)
            throw new Error(`LoRA pair blk.${p.layer}.${p.target}: A has ${p.a.length} values for n_in ${p.nIn}, B ${p.b.length} for n_out ${p.nOut}`);
        const stem = `blk.${p.layer}.${loraTargetTensor[p.target]}.weight`;
        tensors.push({name: `${stem}.lora_a`, dims: [p.nIn, rank], type, data: () => encodeTensor(p.a, type)});
        tensors.push({name: `${stem}.lora_b`, dims: [rank, p.nOut], type, data: () => encodeTensor(p.b, type)});
    }
    outputDirs.make(dirname(path));
    writeGguf(path, metadata, tensors);
}
