import type {Llama, LlamaModel} from "node-llama-cpp";
import {DittoError} from "../errors/DittoError.js";
import {checkModelFile} from "./checkModelFile.js";
import {rememberModelPath} from "./modelPathOf.js";

export type LoadModelOptions = {
    /** layers to offload to the GPU: "auto" (default) fits as many as memory allows */
    gpuLayers?: "auto" | "max" | number,
    /** load only the tokenizer (tokenizing, templates) */
    vocabOnly?: boolean
};

/** The one place a model file is loaded: our header check first, then llama.cpp, errors rewritten to name the file. */
export async function loadModel(llama: Llama, path: string, options: LoadModelOptions = {}): Promise<LlamaModel> {
    const header = checkModelFile(path);
    try {
        const model = await llama.loadModel({
            modelPath: path,
            gpuLayers: llama.gpu === false ? 0 : options.gpuLayers ?? "auto",
            vocabOnly: options.vocabOnly ?? false
        });
        rememberModelPath(model, path);
        return model;
    } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        const arch = String(header.metadata.get("general.architecture"));
        throw new DittoError(`${path}: llama.cpp could not load this ${arch} model: ${msg}`, {
            hint: /architecture/i.test(msg)
                ? `architecture "${arch}" is not supported by the bundled llama.cpp; use a llama, qwen2 or qwen3 model`
                : "check the file with `ditto models inspect`, and free memory (or use --gpu cpu)",
            code: "MODEL_LOAD", cause: err
        });
    }
}
