import type {Command} from "commander";
import {elicitCharacters} from "../../characters/elicitCharacters.js";
import {DittoError} from "../../errors/DittoError.js";
import {PromptTemplates} from "../../generate/PromptTemplates.js";
import {toSampling} from "../../generate/toSampling.js";
import {resolveModelRef} from "../../models/resolveModelRef.js";
import {recipeSchema} from "../../recipes/recipeSchema.js";
import {writeJsonlAtomic} from "../../runs/writeJsonlAtomic.js";
import {GenerationPool} from "../../runtime/GenerationPool.js";
import {loadModel} from "../../runtime/loadModel.js";
import {gpuChoices, openLlama, type GpuChoice} from "../../runtime/openLlama.js";
import {accessSync, constants, existsSync, statSync} from "node:fs";
import {dirname, resolve} from "node:path";
import {outputDirs} from "../../runs/outputDirs.js";

export function registerCharactersElicitCommand(characters: Command): void {
    // the recipe schema holds every default; this command shows the same ones
    const d = recipeSchema.parse({name: "defaults", models: {generator: "-"}});
    characters.command("elicit")
        .description("let the model list well-known characters and write their profiles (no data needed)")
        .requiredOption("--model <model>", "catalogue name, .gguf path or fixture:ARCH-SIZE-TYPE")
        .option("--count <n>", "characters in all", String(d.characters.count))
        .option("--lang <list>", "languages, comma-separated", d.characters.languages.join(","))
        .option("--seed <n>", "random seed", String(d.seed))
        .option("--parallel <n>", "conversations at once", String(d.runtime.parallel))
        .option("--threads <n>", "CPU threads (default: physical cores)")
        .option("--max-tokens <n>", "longest profile, in tokens", String(d.generate.sampling.max_tokens))
        .option("--gpu <gpu>", `llama.cpp backend: ${gpuChoices.join(", ")}`, d.runtime.gpu)
        .requiredOption("--out <file>", "where to write the characters (JSONL)")
        .option("--offline", "forbid any network use (same as DITTO_OFFLINE=1)")
        .addHelpText("after", "\nExample:\n  ditto characters elicit --model qwen2.5-7b-instruct-q8_0 --count 200 --lang en,zh --out characters.jsonl")
        .action(async (opts: {model: string, count: string, lang: string, seed: string, parallel: string, threads?: string, maxTokens: string, gpu: string, out: string, offline?: boolean}) => {
            const int = (name: string, v: string) => {
                const n = Number(v);
                if (!Number.isInteger(n) || n < 1) throw new DittoError(`--${name} ${v} is not a positive integer`, {hint: `e.g. --${name} 8`});
                return n;
            };
            if (opts.offline) process.env.DITTO_OFFLINE = "1";
            // the output is written at the end: a folder that cannot hold it fails now, not after the model's work
            if (existsSync(opts.out) && statSync(opts.out).isDirectory())
                throw new DittoError(`--out ${opts.out} is a folder`, {hint: "give a file name, e.g. --out characters.jsonl", code: "CLI_OPTION"});
            outputDirs.make(dirname(resolve(opts.out)));
            accessSync(dirname(resolve(opts.out)), constants.W_OK);
            const path = resolveModelRef(opts.model);
            const llama = await openLlama(opts.gpu as GpuChoice);
            const model = await loadModel(llama, path);
            const pool = await GenerationPool.create(llama, model, {parallel: int("parallel", opts.parallel), threads: opts.threads ? int("threads", opts.threads) : undefined, contextSize: d.runtime.context_size});
            try {
                const maxTokens = int("max-tokens", opts.maxTokens);
                const list = await elicitCharacters({
                    generator: pool, prompts: new PromptTemplates(), languages: opts.lang.split(",").map((l) => l.trim()).filter(Boolean),
                    count: int("count", opts.count), batch: d.characters.elicit_batch, rounds: d.characters.elicit_rounds, seed: Number(opts.seed),
                    sampling: toSampling(d.generate.query_sampling), profileSampling: {...toSampling(d.generate.sampling), maxTokens},
                    onProgress: (n, total) => { if (process.stderr.isTTY) process.stderr.write(`\rprofiles ${n}/${total}`); }
                });
                if (process.stderr.isTTY) process.stderr.write("\n");
                writeJsonlAtomic(opts.out, list);
                console.log(`wrote ${list.length} characters to ${opts.out}`);
            } finally {
                await pool.dispose();
                await model.dispose();
            }
        });
}
