import {existsSync} from "node:fs";
import {basename} from "node:path";
import {resolveChatWrapper} from "node-llama-cpp";
import {DittoError} from "../errors/DittoError.js";
import {resolveModelRef} from "../models/resolveModelRef.js";
import {GenerationPool} from "../runtime/GenerationPool.js";
import {loadModel} from "../runtime/loadModel.js";
import {openLlama, type GpuChoice} from "../runtime/openLlama.js";
import {adapterName} from "./adapterName.js";
import type {ServedModel} from "./ServedModel.js";

export type OpenServedModelsOptions = {
    /** a path, catalogue name or fixture:NAME */
    model: string,
    /** adapter files, `PATH` or `NAME=PATH`; each is served as its own model. None: the base model is served */
    adapters?: readonly string[],
    /** conversations generated at once per served model */
    parallel?: number,
    /** tokens per conversation */
    contextSize?: number,
    gpu?: GpuChoice,
    threads?: number
};

export const serveDefaults = {parallel: 4, contextSize: 4096} as const;

/**
 * Loads the model once and gives each served name its own context: the base model alone when no
 * adapter is given, else one per adapter (llama.cpp applies a LoRA to a whole context, so two
 * adapters cannot share one). Requests for one name are batched together on its pool.
 */
export async function openServedModels(options: OpenServedModelsOptions): Promise<ServedModel[]> {
    const path = resolveModelRef(options.model);
    const adapters = (options.adapters ?? []).map(adapterName);
    const names = new Set<string>();
    for (const a of adapters) {
        if (!existsSync(a.path))
            throw new DittoError(`adapter ${a.path} not found`, {hint: "give the adapter GGUF `ditto train` wrote (runs/NAME/train/adapter.gguf)", code: "SERVE_ADAPTER"});
        if (names.has(a.name))
            throw new DittoError(`two adapters would be served as "${a.name}"`, {hint: `name them: --adapter ${a.name}-a=${a.path}`, code: "SERVE_ADAPTER"});
        names.add(a.name);
    }
    const llama = await openLlama(options.gpu ?? "auto");
    const model = await loadModel(llama, path);
    const chatWrapper = resolveChatWrapper(model);
    const created = Math.floor(Date.now() / 1000);
    const poolOptions = {parallel: options.parallel ?? serveDefaults.parallel, contextSize: options.contextSize ?? serveDefaults.contextSize, threads: options.threads};
    const served: ServedModel[] = [];
    try {
        if (adapters.length === 0) {
            const id = options.model.startsWith("fixture:") || !/[\\/]|\.gguf$/i.test(options.model) ? options.model : basename(path).replace(/\.gguf$/i, "");
            served.push({id, pool: await GenerationPool.create(llama, model, poolOptions), chatWrapper, created});
        }
        for (const a of adapters)
            served.push({id: a.name, adapter: a.path, chatWrapper, created,
                pool: await GenerationPool.create(llama, model, {...poolOptions, adapters: [{path: a.path}]})});
    } catch (err) {
        for (const s of served) await s.pool.dispose();
        await model.dispose();
        throw err;
    }
    return served;
}
