import type {Command} from "commander";
import {checkAdapter} from "../../adapter/checkAdapter.js";

export function registerAdapterCheckCommand(adapter: Command): void {
    adapter.command("check")
        .description("check that a LoRA adapter GGUF fits a model, naming what is wrong (llama.cpp only says it failed)")
        .requiredOption("--model <file>", "base model GGUF")
        .requiredOption("--adapter <file>", "LoRA adapter GGUF")
        .addHelpText("after", "\nExample:\n  ditto adapter check --model models/tiny-qwen2.gguf --adapter runs/demo/train/adapter.gguf")
        .action((opts: {model: string, adapter: string}) => {
            const s = checkAdapter(opts.adapter, opts.model);
            const layers = new Set(s.targets.map((t) => t.split(".")[1]));
            const kinds = [...new Set(s.targets.map((t) => t.split(".")[2]))];
            console.log(`ok: ${opts.adapter} fits ${opts.model}`);
            console.log(`${s.arch} LoRA, rank ${s.rank}, alpha ${s.alpha}, ${s.targets.length} matrices in ${layers.size} layers (${kinds.join(", ")})`);
        });
}
