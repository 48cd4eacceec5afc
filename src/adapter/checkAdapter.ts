import {readGgufHeader, GgufHeader} from "../gguf/readGgufHeader.js";
import {AdapterCheckError} from "./errors/AdapterCheckError.js";

export type AdapterSummary = {
    arch: string,
    alpha: number,
    rank: number,
    /** base tensor names the adapter changes, e.g. blk.0.attn_q.weight */
    targets: string[]
};

const pairName = /^(.*)\.lora_(a|b)$/;

/**
 * Checks that a LoRA adapter GGUF fits a model before llama.cpp sees it: llama.cpp only says
 * "Failed to initialize LoRA adapter", so this names what is wrong (not an adapter, another
 * architecture, a layer the model lacks, shapes that do not match, A and B of different rank).
 * Missing or damaged files are GgufFileErrors from the header reader.
 */
export function checkAdapter(adapterPath: string, modelPath: string): AdapterSummary {
    const adapter = readGgufHeader(adapterPath);
    const model = readGgufHeader(modelPath);
    return checkAdapterHeaders(adapter, model);
}

export function checkAdapterHeaders(adapter: GgufHeader, model: GgufHeader): AdapterSummary {
    const path = adapter.path;
    const generalType = adapter.metadata.get("general.type");
    const adapterType = adapter.metadata.get("adapter.type");
    if (generalType !== "adapter" || adapterType !== "lora")
        throw new AdapterCheckError(path, "not-adapter",
            [generalType === "model"
                ? "is a model (general.type=model), not a LoRA adapter"
                : `is not a LoRA adapter (general.type=${String(generalType)}, adapter.type=${String(adapterType)}; expected adapter and lora)`],
            "pass the adapter.gguf written by `ditto finetune` (DIR/adapter.gguf); convert PEFT adapters with llama.cpp's convert_lora_to_gguf.py");
    const arch = String(adapter.metadata.get("general.architecture"));
    const modelArch = String(model.metadata.get("general.architecture"));
    if (arch !== modelArch)
        throw new AdapterCheckError(path, "architecture", [`was trained for architecture ${arch}, but ${model.path} is ${modelArch}`],
            "use the adapter with the model it was trained on (see `ditto adapter check`), or train one for this model");

    const modelTensors = new Map(model.tensors.map((t) => [t.name, t]));
    const nLayer = Number(model.metadata.get(`${modelArch}.block_count`));
    const pairs = new Map<string, {a?: number[], b?: number[]}>();
    const unknown: string[] = [];
    for (const t of adapter.tensors) {
        const m = pairName.exec(t.name);
        if (!m) { unknown.push(t.name); continue; }
        const entry = pairs.get(m[1]!) ?? {};
        entry[m[2] as "a" | "b"] = t.dims;
        pairs.set(m[1]!, entry);
    }
    if (unknown.length > 0)
        throw new AdapterCheckError(path, "tensor", unknown.map((n) => `tensor ${n} is not a LoRA tensor (names end in .lora_a or .lora_b)`),
            "the file is not a LoRA adapter in llama.cpp's format; write it again with `ditto finetune`");

    const layerProblems: string[] = [], unpaired: string[] = [], shape: string[] = [], rank: string[] = [];
    const ranks = new Set<number>();
    for (const [base, {a, b}] of pairs) {
        const layer = /^blk\.(\d+)\./.exec(base);
        const target = modelTensors.get(base);
        if (!target) {
            layerProblems.push(layer && Number(layer[1]) >= nLayer
                ? `has ${base} for layer ${layer[1]}, but the model has ${nLayer} layers (0-${nLayer - 1})`
                : `has LoRA tensors for ${base}, which the model does not have`);
            continue;
        }
        if (!a || !b) { unpaired.push(`${base} has lora_${a ? "a" : "b"} but no lora_${a ? "b" : "a"}`); continue; }
        // W is GGUF [n_in, n_out]; A must be [n_in, r] and B [r, n_out].
        const [nIn, nOut] = target.dims;
        if (a[0] !== nIn) shape.push(`${base}.lora_a is [${a.join(", ")}] but the model's ${base} takes ${nIn} inputs (expected [${nIn}, r])`);
        if (b[1] !== nOut) shape.push(`${base}.lora_b is [${b.join(", ")}] but the model's ${base} has ${nOut} outputs (expected [r, ${nOut}])`);
        if (a[1] !== b[0]) rank.push(`${base}: lora_a has rank ${a[1]} but lora_b has rank ${b[0]}`);
        ranks.add(a[1]!);
    }
    const fix = "the adapter was trained for a different model or size; pass the model it was trained on, or train a new adapter with `ditto finetune --model` this model";
    if (layerProblems.length) throw new AdapterCheckError(path, "layer", layerProblems, fix);
    if (unpaired.length) throw new AdapterCheckError(path, "unpaired", unpaired, "the adapter file is incomplete; write it again with `ditto finetune`");
    if (shape.length) throw new AdapterCheckError(path, "shape", shape, fix);
    if (rank.length) throw new AdapterCheckError(path, "rank", rank, "the adapter file is damaged (A and B must share the rank); write it again with `ditto finetune`");
    if (pairs.size === 0) throw new AdapterCheckError(path, "tensor", ["has no LoRA tensors"], "write the adapter again with `ditto finetune`");

    const alpha = Number(adapter.metadata.get("adapter.lora.alpha") ?? 0);
    return {arch, alpha, rank: Math.max(...ranks), targets: [...pairs.keys()]};
}
