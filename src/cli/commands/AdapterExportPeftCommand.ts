import type {Command} from "commander";
import {exportAdapterToPeft} from "../../adapter/exportAdapterToPeft.js";

export function registerAdapterExportPeftCommand(adapter: Command): void {
    adapter.command("export-peft")
        .description("write a LoRA adapter GGUF as a Hugging Face PEFT folder (adapter_model.safetensors + adapter_config.json)")
        .requiredOption("--model <file>", "the base model GGUF the adapter was trained on (for head counts and name)")
        .requiredOption("--adapter <file>", "LoRA adapter GGUF")
        .requiredOption("--out <dir>", "folder to write")
        .option("--base-model <name>", "Hugging Face id to record as base_model_name_or_path (default: the GGUF's general.name)")
        .addHelpText("after", "\nExample:\n  ditto adapter export-peft --model models/qwen2.5-7b-instruct-q8_0.gguf --adapter runs/demo/train/adapter.gguf --out runs/demo/peft --base-model Qwen/Qwen2.5-7B-Instruct")
        .action((opts: {model: string, adapter: string, out: string, baseModel?: string}) => {
            const n = exportAdapterToPeft(opts.adapter, opts.model, opts.out, {baseModel: opts.baseModel});
            console.log(`wrote ${opts.out} (${n} LoRA pairs)`);
        });
}
