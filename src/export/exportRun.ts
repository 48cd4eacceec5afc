import {copyFileSync, existsSync, readFileSync, writeFileSync} from "node:fs";
import {join, resolve} from "node:path";
import {stringify} from "yaml";
import {DittoError} from "../errors/DittoError.js";
import type {LoraTarget} from "../engine/TrainEngine.js";
import {loadCatalogue} from "../models/catalogue.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import {trainingExampleSchema} from "../dataset/trainingExampleSchema.js";
import {outputDirs} from "../runs/outputDirs.js";
import {exportCards} from "./exportCards.js";
import {exportOllama} from "./exportOllama.js";

export const exportFormats = ["trl", "axolotl", "llama-factory", "cards", "ollama"] as const;
export type ExportFormat = typeof exportFormats[number];

/** Hugging Face module names of the LoRA targets (Llama / Qwen2 / Qwen3 share them). */
export const hfModuleNames: Record<LoraTarget, string> = {
    q: "q_proj", k: "k_proj", v: "v_proj", o: "o_proj", gate: "gate_proj", up: "up_proj", down: "down_proj"
};

export type ExportOptions = {
    runDir: string,
    format: ExportFormat,
    /** default: RUN/export/FORMAT */
    outDir?: string,
    recipe: Recipe,
    /** Hugging Face model id of the trained model; default from the catalogue, else the recipe's name for it */
    hfModel?: string
};

/**
 * Writes the run's data set and a ready-to-run config for a peer trainer, with the recipe's LoRA
 * and optimizer settings, so a multi-GPU DeepSpeed/FSDP run can pick up where ditto stops.
 * Returns the files written.
 */
export function exportRun(options: ExportOptions): string[] {
    // the run's characters for front-ends and Ollama, rather than its data set for a trainer
    if (options.format === "cards") return exportCards(options);
    if (options.format === "ollama") return exportOllama(options).files;
    const dataset = join(options.runDir, "dataset.jsonl");
    if (!existsSync(dataset))
        throw new DittoError(`${dataset} not found: the run has no data set yet`, {
            hint: `run \`ditto generate --recipe ${options.recipe.name} --run ${options.runDir}\` (or \`ditto train\`) first`, code: "EXPORT_NO_DATASET"});
    const lines = readFileSync(dataset, "utf8").split("\n").filter((l) => l.trim() !== "");
    lines.forEach((l, i) => {
        let value: unknown;
        try { value = JSON.parse(l); } catch { throw new DittoError(`${dataset}:${i + 1}: not valid JSON`, {hint: "regenerate the data set"}); }
        const res = trainingExampleSchema.safeParse(value);
        if (!res.success) throw new DittoError(`${dataset}:${i + 1}: not a messages record: ${res.error.issues[0]?.message}`, {hint: "regenerate the data set"});
    });
    const out = resolve(options.outDir ?? join(options.runDir, "export", options.format));
    outputDirs.make(out);
    const r = options.recipe;
    const student = r.models.student ?? r.models.generator;
    const hfModel = options.hfModel ?? loadCatalogue().find((e) => e.name === student)?.hf_model ?? student;
    const modules = r.train.lora.targets.map((t) => hfModuleNames[t]);
    const written: string[] = [];
    const write = (name: string, text: string) => { const p = join(out, name); writeFileSync(p, text); written.push(p); };
    const header = (cmd: string) => `# Exported by ditto from ${resolve(options.runDir)} (recipe ${r.name}).\n# Run: ${cmd}\n`;

    switch (options.format) {
        case "trl": {
            copyFileSync(dataset, join(out, "train.jsonl"));
            written.push(join(out, "train.jsonl"));
            write("sft_config.yaml", header(`trl sft --config ${join(out, "sft_config.yaml")}`) + stringify({
                model_name_or_path: hfModel,
                dataset_name: out,
                dataset_train_split: "train",
                output_dir: join(out, "output"),
                use_peft: true,
                lora_r: r.train.lora.rank,
                lora_alpha: r.train.lora.alpha,
                lora_dropout: r.train.lora.dropout,
                lora_target_modules: modules,
                assistant_only_loss: true,
                packing: r.train.batch.pack,
                max_length: r.train.batch.seq_len,
                per_device_train_batch_size: r.train.batch.sequences,
                gradient_accumulation_steps: r.train.batch.grad_accum,
                learning_rate: r.train.optim.lr,
                lr_scheduler_type: r.train.optim.schedule === "cosine" ? "cosine_with_min_lr" : r.train.optim.schedule,
                ...(r.train.optim.schedule === "cosine" ? {lr_scheduler_kwargs: {min_lr_rate: r.train.optim.min_lr_ratio}} : {}),
                warmup_ratio: r.train.optim.warmup,
                weight_decay: r.train.optim.weight_decay,
                max_grad_norm: r.train.optim.clip,
                num_train_epochs: r.train.epochs,
                ...(r.train.max_steps ? {max_steps: r.train.max_steps} : {}),
                seed: r.seed,
                bf16: true,
                logging_steps: 10
            }));
            break;
        }
        case "axolotl": {
            copyFileSync(dataset, join(out, "train.jsonl"));
            written.push(join(out, "train.jsonl"));
            write("axolotl.yaml", header(`axolotl train ${join(out, "axolotl.yaml")}`) + stringify({
                base_model: hfModel,
                chat_template: "tokenizer_default",
                datasets: [{path: join(out, "train.jsonl"), type: "chat_template", field_messages: "messages",
                    message_property_mappings: {role: "role", content: "content"}, roles_to_train: ["assistant"], train_on_eos: "turn"}],
                val_set_size: r.train.eval_fraction,
                output_dir: join(out, "output"),
                adapter: "lora",
                lora_r: r.train.lora.rank,
                lora_alpha: r.train.lora.alpha,
                lora_dropout: r.train.lora.dropout,
                lora_target_modules: modules,
                sequence_len: r.train.batch.seq_len,
                sample_packing: r.train.batch.pack,
                micro_batch_size: r.train.batch.sequences,
                gradient_accumulation_steps: r.train.batch.grad_accum,
                num_epochs: r.train.epochs,
                ...(r.train.max_steps ? {max_steps: r.train.max_steps} : {}),
                learning_rate: r.train.optim.lr,
                lr_scheduler: r.train.optim.schedule,
                warmup_ratio: r.train.optim.warmup,
                weight_decay: r.train.optim.weight_decay,
                max_grad_norm: r.train.optim.clip,
                optimizer: "adamw_torch",
                bf16: "auto",
                seed: r.seed
            }));
            break;
        }
        case "llama-factory": {
            copyFileSync(dataset, join(out, "ditto.jsonl"));
            written.push(join(out, "ditto.jsonl"));
            write("dataset_info.json", JSON.stringify({
                ditto: {file_name: "ditto.jsonl", formatting: "sharegpt", columns: {messages: "messages"},
                    tags: {role_tag: "role", content_tag: "content", user_tag: "user", assistant_tag: "assistant", system_tag: "system"}}
            }, null, 2) + "\n");
            write("llama_factory.yaml", header(`llamafactory-cli train ${join(out, "llama_factory.yaml")}`) + stringify({
                model_name_or_path: hfModel,
                stage: "sft",
                do_train: true,
                finetuning_type: "lora",
                lora_rank: r.train.lora.rank,
                lora_alpha: r.train.lora.alpha,
                lora_dropout: r.train.lora.dropout,
                lora_target: modules.join(","),
                dataset: "ditto",
                dataset_dir: out,
                template: /llama/i.test(hfModel) ? "llama3" : "qwen",
                cutoff_len: r.train.batch.seq_len,
                packing: r.train.batch.pack,
                val_size: r.train.eval_fraction,
                output_dir: join(out, "output"),
                per_device_train_batch_size: r.train.batch.sequences,
                gradient_accumulation_steps: r.train.batch.grad_accum,
                learning_rate: r.train.optim.lr,
                num_train_epochs: r.train.epochs,
                ...(r.train.max_steps ? {max_steps: r.train.max_steps} : {}),
                lr_scheduler_type: r.train.optim.schedule,
                warmup_ratio: r.train.optim.warmup,
                weight_decay: r.train.optim.weight_decay,
                max_grad_norm: r.train.optim.clip,
                bf16: true,
                seed: r.seed,
                logging_steps: 10
            }));
            break;
        }
        default: {
            const never: never = options.format;
            throw new DittoError(`unknown export format ${String(never)}`, {hint: `use one of ${exportFormats.join(", ")}`});
        }
    }
    return written;
}
