import {readGgufHeader} from "../gguf/readGgufHeader.js";
import {checkAdapterHeaders} from "./checkAdapter.js";
import {exportPeft} from "./exportPeft.js";
import {readAdapterGguf} from "./readAdapterGguf.js";

/** An adapter GGUF on disk -> a PEFT folder; head counts (for llama's Q/K row order) come from the model's header. */
export function exportAdapterToPeft(adapterPath: string, modelPath: string, outDir: string, options: {baseModel?: string} = {}): number {
    const model = readGgufHeader(modelPath);
    checkAdapterHeaders(readGgufHeader(adapterPath), model);
    const adapter = readAdapterGguf(adapterPath);
    const arch = adapter.arch;
    const nHead = Number(model.metadata.get(`${arch}.attention.head_count`));
    const nHeadKv = Number(model.metadata.get(`${arch}.attention.head_count_kv`) ?? nHead);
    exportPeft(adapter.pairs, {arch, alpha: adapter.alpha, nHead, nHeadKv,
        baseModel: options.baseModel ?? String(model.metadata.get("general.name") ?? modelPath)}, outDir);
    return adapter.pairs.length;
}
