import type {Command} from "commander";
import {generateDataset} from "../../generate/generateDataset.js";
import {selectStages} from "../../generate/selectStages.js";
import {StageProgressBars} from "../../generate/StageProgressBars.js";
import {parseShard} from "./parseShard.js";
import {interruptNotice} from "./interruptNotice.js";
import {resolve} from "node:path";
import {loadRecipe} from "../../recipes/loadRecipe.js";
import {stageNames} from "../../runs/stageNames.js";
import {runtimeOptions} from "./runtimeOptions.js";

export function registerGenerateCommand(program: Command): void {
    const cmd = program.command("generate")
        .description("make a role-play data set with the generator model (Ditto stages 1-3) into a run folder; resumes where it stopped")
        .requiredOption("--recipe <name|file>", "recipe name (recipes/) or YAML file")
        .requiredOption("--run <dir>", "run folder (e.g. runs/first)")
        .argument("[overrides...]", "recipe overrides key.path=value (e.g. runtime.parallel=16)")
        .option("--from <stage>", `first stage to run (${stageNames.join(", ")})`)
        .option("--until <stage>", "last stage to run")
        .option("--shard <i/n>", "only shard i of n (0-based) of the queries and responses; merge with `ditto runs merge`")
        .option("--deterministic", "one conversation at a time (runtime.parallel=1): the same recipe and seed give the same files; slower");
    runtimeOptions.add(cmd, ["gpu", "threads", "offline", "progress"]);
    cmd.addHelpText("after", "\nExamples:\n  ditto generate --recipe tiny --run runs/tiny generate.turns_per_session=4\n  ditto generate --recipe tiny --run runs/tiny --until queries --deterministic")
        .action(async (overrides: string[], opts: {recipe: string, run: string, from?: string, until?: string, gpu?: string, threads?: string, offline?: boolean,
                                                   progress?: string, quiet?: boolean, shard?: string, deterministic?: boolean}) => {
            const rt = runtimeOptions.read(opts);
            const quiet = rt.progress === "none";
            const {recipe, file, dir} = loadRecipe(opts.recipe, opts.deterministic ? [...overrides, "runtime.parallel=1"] : overrides);
            const bars = new StageProgressBars(rt.progress ?? (process.stderr.isTTY ? "bar" : "log"));
            const stopNotice = interruptNotice(() => resolve(opts.run));
            try {
                const res = await generateDataset({
                    recipe, recipeDir: dir, recipeFile: file, runDir: opts.run,
                    stages: selectStages({...opts, until: opts.until ?? (opts.shard ? "responses" : undefined)}),
                    shard: opts.shard === undefined ? undefined : parseShard(opts.shard),
                    gpu: cmd.getOptionValueSource("gpu") === "default" ? undefined : rt.gpu, threads: rt.threads, onProgress: bars.onProgress,
                    onWarning: (m) => { if (!quiet) process.stderr.write(`warning: ${m}\n`); }
                });
                const d = res.manifest.stages.dataset;
                if (!quiet) console.log(d.status === "done" ? `wrote ${res.files.dataset} (${d.count} sessions; ${d.rejected ?? 0} turns dropped, see rejected.jsonl)` : `stages done in ${res.runDir}`);
            } finally {
                stopNotice();
                bars.stop();
            }
        });
}
