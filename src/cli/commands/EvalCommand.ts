import type {Command} from "commander";
import {relative} from "node:path";
import {DittoError} from "../../errors/DittoError.js";
import {evalStages, evaluateRun, type EvalStage} from "../../eval/evaluateRun.js";
import {recipeForRun} from "../../eval/recipeForRun.js";
import {runtimeOptions} from "./runtimeOptions.js";

export function registerEvalCommand(program: Command): void {
    const cmd = program.command("eval")
        .description("WikiRoleEval-style evaluation on held-out characters with a local judge: consistency, knowledge, rejection; base vs adapter")
        .argument("[stage]", "build | run | report (default: all three)")
        .requiredOption("--run <dir>", "run folder (runs/NAME); the evaluation writes RUN/eval/")
        .option("--recipe <name|file>", "recipe (default: the one recorded in RUN/manifest.json)")
        .option("--model <model>", "model under test, a path or catalogue name (default: the recipe's student, else generator)")
        .option("--adapter <file>", "LoRA adapter GGUF to evaluate (default: RUN/train/adapter.gguf when it exists)")
        .option("--no-adapter", "evaluate the base model only")
        .option("--judge <model>", "judge model (default: the recipe's models.judge, else the model under test without adapter)")
        .option("--from <file>", "evaluate on a published WikiRoleEval JSONL file instead of the run's held-out characters")
        .option("--parallel <n>", "conversations at once (default: the recipe's runtime.parallel)")
        .argument("[overrides...]", "recipe overrides key.path=value, e.g. eval.samples=1");
    runtimeOptions.add(cmd, ["gpu", "threads", "offline", "progress"]);
    cmd.addHelpText("after", `
Stages: build (RUN/eval/evalset.jsonl), run (answers.jsonl, judgements.jsonl), report (report.json, .md, .html).
Every stage resumes: after Ctrl-C, run the same command again.

Examples:
  ditto eval --run runs/tiny
  ditto eval build --run runs/tiny --from WikiRoleEval.jsonl
  ditto eval run --run runs/tiny --no-adapter eval.samples=1
  ditto eval report --run runs/tiny`);
    cmd.action(async (stage: string | undefined, overrides: string[], opts: {run: string, recipe?: string, model?: string, adapter?: string | false,
                                                                         judge?: string, from?: string, parallel?: string, quiet?: boolean, progress?: string, offline?: boolean, gpu?: string, threads?: string}) => {
        const rt = runtimeOptions.read(opts);
        // the stage is optional, so a first override lands in its place
        if (stage?.includes("=")) { overrides = [stage, ...overrides]; stage = undefined; }
        if (stage !== undefined && !(evalStages as readonly string[]).includes(stage))
            throw new DittoError(`unknown eval stage "${stage}"`, {hint: `use one of ${evalStages.join(", ")}, or leave it out for all three`, code: "CLI_OPTION"});
        const {recipe, dir} = recipeForRun(opts.run, {recipe: opts.recipe, overrides});
        let parallel: number | undefined;
        if (opts.parallel !== undefined) {
            parallel = Number(opts.parallel);
            if (!Number.isInteger(parallel) || parallel < 1) throw new DittoError(`--parallel ${opts.parallel} is not a positive whole number`, {hint: "use e.g. --parallel 4", code: "CLI_OPTION"});
        }
        const stop = new AbortController();
        const onSigint = () => {
            if (stop.signal.aborted) process.exit(130);
            process.stderr.write("\nstopping after the current step (Ctrl-C again to quit at once); run the same command to resume\n");
            stop.abort();
        };
        process.on("SIGINT", onSigint);
        const log = (l: string) => { if (rt.progress !== "none") process.stderr.write(l + "\n"); };
        let lastProgress = Date.now();
        try {
            const res = await evaluateRun({
                recipe, runDir: opts.run, recipeDir: dir, model: opts.model, judge: opts.judge, evalFile: opts.from,
                adapterPath: opts.adapter === false ? null : opts.adapter,
                stages: stage ? [stage as EvalStage] : undefined,
                gpu: cmd.getOptionValueSource("gpu") === "default" ? undefined : rt.gpu, threads: rt.threads, parallel,
                signal: stop.signal, log,
                onProgress: (p) => {
                    // a line every 10 s, and one at the end of a stage: readable in a terminal and in a log file
                    const now = Date.now();
                    if (p.done < p.total && now - lastProgress < 10_000) return;
                    lastProgress = now;
                    log(`  ${p.stage === "answer" ? "answered" : "judged"} ${p.done}/${p.total}`);
                }
            });
            if (res.aborted) {
                console.log(`interrupted: ${res.answered} answers and ${res.judged} judgements kept; run the same command to resume`);
                process.exitCode = 130;
                return;
            }
            for (const f of res.files) console.log(`wrote ${relative(process.cwd(), f)}`);
            const m = res.report?.overall;
            if (m) for (const [variant, s] of Object.entries(m.metrics)) {
                if (!s) continue;
                const f = (x: number | null) => x === null ? "n/a" : x.toFixed(2);
                console.log(`${variant.padEnd(8)} consistency ${f(s.consistency)}  knowledge ${f(s.knowledge)}  rejection ${f(s.rejection)}  (${s.turns} turns, ${s.failures} judge failures)`);
            }
        } finally {
            process.off("SIGINT", onSigint);
        }
    });
}
