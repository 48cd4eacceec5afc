import * as nodeLlamaCpp from "node-llama-cpp";
import {DittoError} from "../errors/DittoError.js";
import {readGgufHeader, GgufHeader} from "../gguf/readGgufHeader.js";
import {ggmlBlockLayout, ggmlTypeName} from "../gguf/ggufTypes.js";

/**
 * Checks a model file before llama.cpp sees it, so each problem gets its own message: missing,
 * not GGUF, truncated (from readGgufHeader), an adapter passed as a model, no architecture, no
 * tokenizer, an architecture llama.cpp does not know, unknown tensor types. Returns the header for callers that want metadata.
 */
export function checkModelFile(path: string): GgufHeader {
    const header = readGgufHeader(path);
    const kind = header.metadata.get("general.type");
    if (kind === "adapter")
        throw new DittoError(`${path}: is a LoRA adapter, not a model`, {
            hint: "pass the base model as the model and this file as --adapter", code: "MODEL_IS_ADAPTER"});
    const arch = header.metadata.get("general.architecture");
    if (typeof arch !== "string" || arch.length === 0)
        throw new DittoError(`${path}: has no general.architecture in its metadata`, {
            hint: "the file was not written by a GGUF converter; re-convert the model with llama.cpp", code: "MODEL_NO_ARCH"});
    if (!llamaCppArchitectures.has(arch))
        throw new DittoError(`${path}: general.architecture is "${arch}", which the bundled llama.cpp cannot run (unknown architecture)`, {
            hint: "use a GGUF of a supported architecture (ditto trains llama, qwen2 and qwen3); `ditto models inspect FILE` shows a file's architecture",
            code: "MODEL_ARCH"});
    if (!header.metadata.has("tokenizer.ggml.tokens"))
        throw new DittoError(`${path}: has no tokenizer (tokenizer.ggml.tokens is missing)`, {
            hint: "use a GGUF that includes its tokenizer (all llama.cpp conversions do)", code: "MODEL_NO_TOKENIZER"});
    for (const t of header.tensors) {
        if (!ggmlBlockLayout[t.type])
            throw new DittoError(`${path}: tensor ${t.name} has tensor type ${ggmlTypeName(t.type)}, which ditto cannot read`, {
                hint: "use an F16, BF16, Q8_0, Q6_K, Q5_K, Q4_K, Q5_0 or Q4_0 GGUF of this model", code: "MODEL_TENSOR_TYPE"});
    }
    return header;
}

/**
 * Architectures the bundled llama.cpp knows. Checked here because llama.cpp only logs "unknown model
 * architecture" and node-llama-cpp then throws a bare "Failed to load model". GgufArchitectureType is
 * a const enum in the typings but a plain object at run time, hence the namespace read.
 */
const llamaCppArchitectures = new Set<string>(
    Object.values((nodeLlamaCpp as unknown as {GgufArchitectureType: Record<string, string>}).GgufArchitectureType));
