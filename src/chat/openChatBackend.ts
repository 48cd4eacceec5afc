import {existsSync} from "node:fs";
import {DittoError} from "../errors/DittoError.js";
import {resolveModelRef} from "../models/resolveModelRef.js";
import {GenerationPool} from "../runtime/GenerationPool.js";
import {loadModel} from "../runtime/loadModel.js";
import {openLlama, type GpuChoice} from "../runtime/openLlama.js";

export type OpenChatBackendOptions = {
    /** a path, catalogue name or fixture:NAME */
    model: string,
    adapter?: string,
    adapterScale?: number,
    gpu?: GpuChoice,
    threads?: number,
    /** tokens of conversation kept (default 4096); older turns are shifted out past that */
    contextSize?: number
};

/** The model for a chat: one sequence (one conversation), with the adapter when given. */
export async function openChatBackend(options: OpenChatBackendOptions): Promise<GenerationPool> {
    const path = resolveModelRef(options.model);
    if (options.adapter !== undefined && !existsSync(options.adapter))
        throw new DittoError(`adapter ${options.adapter} not found`, {hint: "give the adapter GGUF `ditto train` wrote (runs/NAME/train/adapter.gguf), or leave out --adapter", code: "CHAT_ADAPTER"});
    const llama = await openLlama(options.gpu ?? "auto");
    const model = await loadModel(llama, path);
    return GenerationPool.create(llama, model, {parallel: 1, contextSize: options.contextSize ?? 4096, threads: options.threads,
        adapters: options.adapter ? [{path: options.adapter, scale: options.adapterScale ?? 1}] : undefined});
}
