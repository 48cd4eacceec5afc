import {readGgufHeader} from "../gguf/readGgufHeader.js";
import {LoraPair, LoraTarget, loraTargetTensor} from "../engine/TrainEngine.js";
import {DittoError} from "../errors/DittoError.js";
import {readTensorValues} from "./readTensorValues.js";

export type AdapterFile = {arch: string, alpha: number, rank: number, pairs: LoraPair[]};

const stemToTarget = new Map(Object.entries(loraTargetTensor).map(([target, stem]) => [stem, target as LoraTarget]));

/** Reads an adapter GGUF back into LoRA pairs (A [r x n_in], B [n_out x r], row-major float32). */
export function readAdapterGguf(path: string): AdapterFile {
    const header = readGgufHeader(path);
    if (header.metadata.get("general.type") !== "adapter" || header.metadata.get("adapter.type") !== "lora")
        throw new DittoError(`${path}: not a LoRA adapter GGUF (general.type must be adapter, adapter.type lora)`,
            {hint: "pass the adapter.gguf written by `ditto finetune`", code: "ADAPTER_NOT_ADAPTER"});
    const pairs: LoraPair[] = [];
    for (const a of header.tensors) {
        const m = /^blk\.(\d+)\.([a-z_]+)\.weight\.lora_a$/.exec(a.name);
        if (!m) continue;
        const target = stemToTarget.get(m[2]!);
        if (!target) throw new DittoError(`${path}: LoRA on ${m[2]} is not one of the projections ditto handles`,
            {hint: `ditto adapts ${Object.values(loraTargetTensor).join(", ")}`, code: "ADAPTER_TARGET"});
        const bName = a.name.slice(0, -1) + "b";
        const b = header.tensors.find((t) => t.name === bName);
        if (!b) throw new DittoError(`${path}: ${a.name} has no matching ${bName}`, {hint: "the adapter is incomplete; write it again", code: "ADAPTER_UNPAIRED"});
        pairs.push({layer: Number(m[1]), target, nIn: a.dims[0]!, nOut: b.dims[1]!,
            a: readTensorValues(header, a.name), b: readTensorValues(header, bName)});
    }
    if (pairs.length === 0) throw new DittoError(`${path}: the adapter has no LoRA tensors`, {hint: "write it again with `ditto finetune`", code: "ADAPTER_TENSOR"});
    const rank = pairs[0]!.a.length / pairs[0]!.nIn;
    return {arch: String(header.metadata.get("general.architecture")), alpha: Number(header.metadata.get("adapter.lora.alpha") ?? rank), rank, pairs};
}
