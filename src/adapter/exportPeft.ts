import {mkdirSync, renameSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {LoraPair, LoraTarget} from "../engine/TrainEngine.js";
import {unpermuteRows} from "./unpermuteRows.js";
import {writeSafetensors, SafetensorsTensor} from "./writeSafetensors.js";

/** Hugging Face module path of each target inside a decoder layer (Llama / Qwen2 / Qwen3). */
export const hfModuleNames: Record<LoraTarget, string> = {
    q: "self_attn.q_proj", k: "self_attn.k_proj", v: "self_attn.v_proj", o: "self_attn.o_proj",
    gate: "mlp.gate_proj", up: "mlp.up_proj", down: "mlp.down_proj"
};

export type PeftExportInfo = {
    arch: string,
    alpha: number,
    /** attention heads and KV heads: needed to undo llama's Q/K row permutation */
    nHead: number,
    nHeadKv: number,
    dropout?: number,
    /** written as base_model_name_or_path; the GGUF's general.name is a fair default */
    baseModel?: string
};

/**
 * Writes `dir/adapter_model.safetensors` and `dir/adapter_config.json` in PEFT's layout, so the
 * adapter loads with `PeftModel.from_pretrained` on the Hugging Face model (and in TRL, axolotl,
 * LLaMA-Factory). PEFT's lora_A is [r, n_in] and lora_B [n_out, r], the same row-major layout as
 * ours. llama.cpp's converter permutes the rows of llama's Q and K weights for its RoPE layout
 * (Qwen2/3 are not permuted), so for llama the rows of B for q and k are put back in HF order.
 */
export function exportPeft(pairs: readonly LoraPair[], info: PeftExportInfo, dir: string): void {
    const rank = pairs[0] ? pairs[0].a.length / pairs[0].nIn : 0;
    const tensors: SafetensorsTensor[] = [];
    const sorted = [...pairs].sort((x, y) => x.layer - y.layer || x.target.localeCompare(y.target));
    for (const p of sorted) {
        const prefix = `base_model.model.model.layers.${p.layer}.${hfModuleNames[p.target]}`;
        let b = p.b;
        if (info.arch === "llama" && (p.target === "q" || p.target === "k"))
            b = unpermuteRows(p.b, p.nOut, rank, p.target === "q" ? info.nHead : info.nHeadKv);
        tensors.push({name: `${prefix}.lora_A.weight`, shape: [rank, p.nIn], data: p.a});
        tensors.push({name: `${prefix}.lora_B.weight`, shape: [p.nOut, rank], data: b});
    }
    const targets = [...new Set(sorted.map((p) => hfModuleNames[p.target].split(".")[1]!))];
    const config = {
        peft_type: "LORA",
        task_type: "CAUSAL_LM",
        base_model_name_or_path: info.baseModel ?? null,
        r: rank,
        lora_alpha: info.alpha,
        lora_dropout: info.dropout ?? 0,
        target_modules: targets,
        bias: "none",
        fan_in_fan_out: false,
        inference_mode: true,
        modules_to_save: null,
        use_rslora: false,
        use_dora: false
    };
    // Written into a sibling folder and renamed, so a crash never leaves half an export.
    const partial = dir + ".partial";
    rmSync(partial, {recursive: true, force: true});
    mkdirSync(partial, {recursive: true});
    writeSafetensors(join(partial, "adapter_model.safetensors"), tensors, {written_by: "ditto"});
    writeFileSync(join(partial, "adapter_config.json"), JSON.stringify(config, null, 2) + "\n");
    rmSync(dir, {recursive: true, force: true});
    renameSync(partial, dir);
}
