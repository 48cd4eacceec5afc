import type {GgufHeader} from "../gguf/readGgufHeader.js";
import {engineWeightTypes} from "./engineWeightTypes.js";
import {EngineError} from "./errors/EngineError.js";

/** What the memory plan needs to know about a base model, read from its GGUF header alone. */
export type ModelShape = {
    arch: string,
    nLayer: number, nEmbd: number, nHead: number, nHeadKv: number, headDim: number, nFf: number, nVocab: number,
    /** parameters of all tensors */
    parameters: number,
    /** bytes the engine holds for the base weights: mapped matrices it decodes inside the products
     * (engineWeightTypes; it refuses other matrix types; an untied model's token embedding aside:
     * only the rows of its tokens are read), F32 copies of norms and biases, and the header it parses */
    weightBytes: number
};

/** The engine's view of a model (as native/src/Model.cpp reads the same keys), before opening it. */
export function modelShapeOf(header: GgufHeader): ModelShape {
    const md = header.metadata;
    const arch = String(md.get("general.architecture") ?? "");
    const int = (key: string, fallback?: number): number => {
        const v = md.get(`${arch}.${key}`);
        const n = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : fallback;
        if (n === undefined || !Number.isInteger(n) || n <= 0)
            throw new EngineError("open", `${header.path}: metadata ${arch}.${key} is ${String(v)}, not a positive integer`,
                {hint: "the file is damaged or not a llama/qwen2/qwen3 model; download or convert it again"});
        return n;
    };
    const nEmbd = int("embedding_length"), nHead = int("attention.head_count");
    const embd = header.tensors.find((t) => t.name === "token_embd.weight");
    // with an output head of its own, the engine reads the mapped token embedding one row per input
    // token (native/src/Engine.cpp embeddingForward): its pages are never all resident
    const untied = header.tensors.some((t) => t.name === "output.weight");
    let parameters = 0, weightBytes = header.dataOffset;
    for (const t of header.tensors) {
        const n = t.dims.reduce((a, b) => a * b, 1);
        parameters += n;
        const matrix = t.dims.length >= 2 && t.dims[1]! > 1;
        const mapped = matrix && engineWeightTypes.has(t.type);
        if (mapped && untied && t.name === "token_embd.weight") continue;
        weightBytes += mapped ? t.bytes : n * 4 + (matrix ? 0 : t.bytes);
    }
    return {
        arch, nLayer: int("block_count"), nEmbd, nHead, nHeadKv: int("attention.head_count_kv", nHead),
        headDim: int("attention.key_length", Math.floor(nEmbd / nHead)), nFf: int("feed_forward_length"),
        nVocab: embd?.dims[1] ?? 0, parameters, weightBytes
    };
}
