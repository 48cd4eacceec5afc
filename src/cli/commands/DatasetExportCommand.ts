import type {Command} from "commander";
import {exportDataset, exportFormats, type ExportFormat} from "../../dataset/exportDataset.js";
import {DittoError} from "../../errors/DittoError.js";

export function registerDatasetExportCommand(dataset: Command): void {
    dataset.command("export")
        .description("write a run's dataset.jsonl in another format (sharegpt for LLaMA-Factory / axolotl, openai messages)")
        .argument("<run>", "run folder (or a dataset.jsonl)")
        .option("--format <format>", exportFormats.join(", "), "sharegpt")
        .requiredOption("--out <file>", "output JSONL")
        .addHelpText("after", "\nExample:\n  ditto dataset export runs/first --format sharegpt --out first.sharegpt.jsonl")
        .action((run: string, opts: {format: string, out: string}) => {
            if (!(exportFormats as readonly string[]).includes(opts.format))
                throw new DittoError(`--format ${opts.format} is not one of ${exportFormats.join(", ")}`, {hint: "use --format sharegpt"});
            const n = exportDataset(run, opts.format as ExportFormat, opts.out);
            console.log(`wrote ${n} conversations to ${opts.out}`);
        });
}
