import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import type {Command} from "commander";
import {DittoError} from "../../errors/DittoError.js";
import {exportFormats, exportRun, type ExportFormat} from "../../export/exportRun.js";
import {exportOllama} from "../../export/exportOllama.js";
import {loadRecipe} from "../../recipes/loadRecipe.js";
import {recipeSchema, type Recipe} from "../../recipes/recipeSchema.js";

export function registerExportCommand(program: Command): void {
    program.command("export")
        .description("write a run's data set with a ready config for TRL, axolotl or LLaMA-Factory (their multi-GPU runs take over from here), or its trained characters as character cards or Ollama Modelfiles")
        .argument("<run>", "run folder (runs/NAME)")
        .requiredOption("--format <format>", exportFormats.join(" | "))
        .option("--out <dir>", "output folder (default RUN/export/FORMAT)")
        .option("--recipe <name>", "recipe whose LoRA/optimizer settings to use (default: the one in the run's manifest)")
        .option("--hf-model <id>", "Hugging Face model id of the trained model (default: from the catalogue)")
        .addHelpText("after", "\nExamples:\n  ditto export runs/tiny --format axolotl\n  ditto export runs/tiny --format cards     # a V2 card (JSON + PNG) per trained character\n  ditto export runs/tiny --format ollama    # a Modelfile per trained character, and the `ollama create` commands")
        .action((run: string, opts: {format: string, out?: string, recipe?: string, hfModel?: string}) => {
            if (!(exportFormats as readonly string[]).includes(opts.format))
                throw new DittoError(`--format ${opts.format} is not one of ${exportFormats.join(", ")}`, {hint: "use --format trl"});
            if (opts.format === "ollama") {
                const {files, commands} = exportOllama({runDir: run, outDir: opts.out});
                for (const f of files) console.log(`wrote ${f}`);
                if (commands.length) console.log(`then, where Ollama runs:\n${commands.map((c) => `  ${c}`).join("\n")}`);
                return;
            }
            const recipe = opts.recipe ? loadRecipe(opts.recipe).recipe : recipeFromManifest(run);
            const files = exportRun({runDir: run, format: opts.format as ExportFormat, outDir: opts.out, recipe, hfModel: opts.hfModel});
            for (const f of files) console.log(`wrote ${f}`);
        });
}

function recipeFromManifest(run: string): Recipe {
    const manifest = join(run, "manifest.json");
    if (!existsSync(manifest))
        throw new DittoError(`${manifest} not found`, {hint: "pass --recipe NAME, or point at a run folder made by `ditto generate` / `ditto train`"});
    const data = JSON.parse(readFileSync(manifest, "utf8")) as {recipe?: unknown};
    const res = recipeSchema.safeParse(data.recipe);
    if (!res.success) throw new DittoError(`${manifest}: has no valid recipe`, {hint: "pass --recipe NAME"});
    return res.data;
}
