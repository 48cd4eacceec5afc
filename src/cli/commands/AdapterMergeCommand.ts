import {Option, type Command} from "commander";
import {DittoError} from "../../errors/DittoError.js";
import {mergeAdapter} from "../../adapter/mergeAdapter.js";

export function registerAdapterMergeCommand(adapter: Command): void {
    adapter.command("merge")
        .description("fold a LoRA adapter into the model's weights and write a new GGUF (no adapter needed at run time)")
        .requiredOption("--model <file>", "base model GGUF (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K weights in the adapted tensors)")
        .requiredOption("--adapter <file>", "LoRA adapter GGUF")
        .requiredOption("--out <file>", "merged GGUF to write")
        .addOption(new Option("--type <type>", "type of the merged tensors: auto keeps F32 as F32 and writes the rest F16; q8_0 writes half the bytes of F16 (fastest for big models) but rounds each weight to its block's step, which can undo small adapter changes").choices(["auto", "f32", "f16", "q8_0"]).default("auto"))
        .option("--scale <x>", "adapter strength, as `scale` at inference", "1")
        .addHelpText("after", "\nExample:\n  ditto adapter merge --model models/tiny-qwen2.gguf --adapter runs/demo/train/adapter.gguf --out models/tiny-qwen2-demo.gguf")
        .action(async (opts: {model: string, adapter: string, out: string, type: "auto" | "f32" | "f16" | "q8_0", scale: string}) => {
            const scale = Number(opts.scale);
            if (!Number.isFinite(scale)) throw new DittoError(`--scale ${opts.scale} is not a number`, {hint: "e.g. --scale 1", code: "CLI_OPTION"});
            const started = Date.now();
            // a 7B model is several GB to write: on a terminal, one line that counts them
            const tty = process.stderr.isTTY;
            let shown = 0;
            const onProgress = (done: number, total: number) => {
                if (!tty || (Date.now() - shown < 250 && done < total)) return;
                shown = Date.now();
                process.stderr.write(`\rmerging: ${(100 * done / total).toFixed(0)}% (${(done / 1e9).toFixed(2)} of ${(total / 1e9).toFixed(2)} GB)`);
            };
            let res;
            try {
                res = await mergeAdapter({modelPath: opts.model, adapterPath: opts.adapter, out: opts.out, type: opts.type, scale, onProgress});
            } finally {
                if (tty) process.stderr.write("\r\x1b[K");
            }
            console.log(`wrote ${opts.out}: ${res.merged} tensors merged, ${res.copied} copied, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });
}
