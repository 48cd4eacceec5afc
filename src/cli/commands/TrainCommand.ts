import {existsSync, readFileSync} from "node:fs";
import {join, relative, resolve} from "node:path";
import {Option, type Command} from "commander";
import {enginePrecisions} from "../../engine/TrainEngine.js";
import {trainRecipe} from "../../pipeline/trainRecipe.js";
import {trainStages, type TrainStage} from "../../pipeline/trainStages.js";
import {loadRecipe} from "../../recipes/loadRecipe.js";
import {readManifest} from "../../runs/readManifest.js";
import {runtimeOptions} from "./runtimeOptions.js";
import {parseShard} from "./parseShard.js";
import {interruptNotice} from "./interruptNotice.js";

export function registerTrainCommand(program: Command): void {
    const cmd = program.command("train")
        .description("the whole method in one command: characters -> queries -> answers -> sessions -> data set -> LoRA -> evaluation")
        .requiredOption("--recipe <name>", "recipe name (see `ditto recipes list`) or path to a .yaml file")
        .option("--run <dir>", "run folder (default runs/<recipe name>); an unfinished run there resumes")
        .addOption(new Option("--from <stage>", "first stage to run (earlier ones must be complete)").choices([...trainStages]))
        .addOption(new Option("--until <stage>", "last stage to run").choices([...trainStages]))
        .option("--shard <i/n>", "generate only shard i of n (0-based) of the queries and responses; merge with `ditto runs merge`")
        .addOption(new Option("--device <device>", "training engine: auto (CUDA when this build has it and a GPU is present, else the CPU), cpu or cuda (default: the recipe's train.device)").choices(["auto", "cpu", "cuda"]))
        .addOption(new Option("--precision <precision>", "products with the frozen weights: fp32 (exact) or bf16 (F16/BF16 weights on CPUs with AVX512-BF16) (default: the recipe's train.precision)").choices([...enginePrecisions]))
        .option("--activation-memory <mb>", "MB of activations kept for the backward instead of recomputed (= train.activation_memory_mb; lowered if memory is short)")
        .option("--deterministic", "one conversation at a time (runtime.parallel=1): the same recipe and seed give the same files, even across a kill and resume; slower")
        .argument("[overrides...]", "recipe overrides as key.path=value, e.g. train.lora.rank=8");
    runtimeOptions.add(cmd, ["gpu", "threads", "offline", "progress"]);
    cmd.addHelpText("after", `
Stages: ${trainStages.join(" -> ")}

Examples:
  ditto train --recipe tiny                      # offline demo on a self-made tiny model
  ditto train --recipe tiny --deterministic      # reproducible to the byte (one conversation at a time)
  ditto train --recipe qwen-7b --offline         # air-gapped: models already in ./models
  ditto train --recipe qwen-7b --until dataset   # only write the data set
  ditto train --recipe qwen-7b --from finetune train.lora.rank=32

Sharded generation (e.g. on 4 machines):
  ditto train --recipe qwen-7b --run runs/base --until pairs        # once
  cp -r runs/base runs/s0; ...                                     # one copy per shard
  ditto train --recipe qwen-7b --run runs/s0 --shard 0/4           # on each machine, up to responses
  ditto runs merge --out runs/qwen-7b runs/s0 runs/s1 runs/s2 runs/s3
  ditto train --recipe qwen-7b --run runs/qwen-7b --from sessions`);
    cmd.action(async (overrides: string[], opts: {recipe: string, run?: string, from?: TrainStage, until?: TrainStage,
                                                  progress?: string, quiet?: boolean, device?: string, precision?: string, gpu?: string, threads?: string, offline?: boolean, shard?: string,
                                                  deterministic?: boolean, activationMemory?: string}) => {
        const rt = runtimeOptions.read(opts);
        const flags = [
            ...(opts.device ? [`train.device=${opts.device}`] : []),
            ...(opts.precision ? [`train.precision=${opts.precision}`] : []),
            ...(opts.deterministic ? ["runtime.parallel=1"] : []),
            ...(opts.activationMemory === undefined ? [] : [`train.activation_memory_mb=${opts.activationMemory}`])
        ];
        const {recipe, file, dir} = loadRecipe(opts.recipe, [...overrides, ...flags]);
        const started = Date.now();
        const stopNotice = interruptNotice(() => resolve(opts.run ?? join("runs", recipe.name)));
        let res;
        try {
            res = await trainRecipe({
                recipe, recipeFile: file, recipeDir: dir, runDir: opts.run, from: opts.from, until: opts.until,
                gpu: cmd.getOptionValueSource("gpu") === "default" ? undefined : rt.gpu, threads: rt.threads, progress: rt.progress,
                shard: opts.shard === undefined ? undefined : parseShard(opts.shard)
            });
        } finally {
            stopNotice();
        }
        const rel = (p: string) => { const r = relative(process.cwd(), p); return r === "" ? "." : r.startsWith("..") ? p : r; };
        const lines = [`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s: ${rel(res.runDir)}`];
        if (existsSync(res.datasetPath)) {
            const n = readFileSync(res.datasetPath, "utf8").split("\n").filter((l) => l.trim()).length;
            lines.push(`  data set  ${rel(res.datasetPath)} (${n} sessions)`);
        }
        if (res.adapterPath) lines.push(`  adapter   ${rel(res.adapterPath)} (PEFT: ${rel(res.adapterPath.replace(/adapter\.gguf$/, "peft"))})`);
        if (res.reportPath) lines.push(`  report    ${rel(res.reportPath)}`);
        const overall = res.evaluation?.report?.overall.metrics;
        for (const [variant, m] of Object.entries(overall ?? {})) {
            if (!m) continue;
            const f = (x: number | null, d: number) => x === null ? "-" : x.toFixed(d);
            lines.push(`  ${variant.padEnd(9)} consistency ${f(m.consistency, 2)}  knowledge ${f(m.knowledge, 2)}  rejection ${f(m.rejection, 2)}  (${m.turns} turns)`);
        }
        if (res.adapterPath) {
            const character = heldOutLabel(res.runDir);
            lines.push(`  chat      ditto chat --model ${shellWord(recipe.models.student ?? recipe.models.generator)} --adapter ${shellWord(rel(res.adapterPath))}` +
                (character ? ` --run ${shellWord(rel(res.runDir))} --character ${shellWord(character)}` : ` --character ${shellWord("Ada Lovelace")}`));
        }
        console.log(lines.join("\n"));
    });
}

/** A held-out character of the run (the evaluation's first), to chat with one the adapter never saw. */
function heldOutLabel(runDir: string): string | undefined {
    const path = join(runDir, "characters.jsonl");
    if (!existsSync(path)) return undefined;
    const held = new Set(readManifest(runDir)?.split?.eval ?? []);
    const chars = readFileSync(path, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as {id: string, label: string});
    return (chars.find((c) => held.has(c.id)) ?? chars[0])?.label;
}

/** A word as a POSIX shell reads it back: bare when safe, else in single quotes. */
function shellWord(word: string): string {
    return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
