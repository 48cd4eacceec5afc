import {cpSync, existsSync} from "node:fs";
import {join, resolve} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import {evaluateRun, type EvaluateRunResult} from "../eval/evaluateRun.js";
import {generateDataset} from "../generate/generateDataset.js";
import {resolveModelRef} from "../models/resolveModelRef.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import {stageNames, type StageName} from "../runs/stageNames.js";
import type {GpuChoice} from "../runtime/openLlama.js";
import {finetune, type FinetuneResult} from "../train/finetune.js";
import {finetuneInputFromRecipe} from "../train/finetuneInputFromRecipe.js";
import {StageProgressBars} from "../generate/StageProgressBars.js";
import {trainStages, type TrainStage} from "./trainStages.js";
import {checkGenerationSettings} from "../generate/checkGenerationSettings.js";
import {fileSha256} from "../runs/fileSha256.js";
import {moveAside} from "../runs/moveAside.js";
import {readManifest} from "../runs/readManifest.js";
import {stageSettingsFile} from "./stageSettingsFile.js";
import {stageSettingsOf} from "./stageSettingsOf.js";
import {outputDirs} from "../runs/outputDirs.js";

export type TrainRecipeOptions = {
    recipe: Recipe,
    /** the recipe file, recorded in the manifest */
    recipeFile?: string,
    /** folder the recipe's relative paths are resolved against */
    recipeDir?: string,
    /** default runs/<recipe name> */
    runDir?: string,
    /** first and last stage to run (default: all); earlier stages must be complete */
    from?: TrainStage,
    until?: TrainStage,
    gpu?: GpuChoice,
    threads?: number,
    /** generate only this shard's queries and responses (see generateDataset); stops after responses */
    shard?: {index: number, count: number},
    progress?: "bar" | "log" | "none",
    log?: (line: string) => void
};

export type TrainRecipeResult = {
    runDir: string,
    datasetPath: string,
    finetune?: FinetuneResult,
    adapterPath?: string,
    evaluation?: EvaluateRunResult,
    reportPath?: string
};

/**
 * `ditto train`: the whole Ditto method in one call: characters, pairs, queries, responses,
 * sessions, filtered data set (generateDataset), LoRA fine-tuning of the student (finetune), adapter
 * export, and evaluation against the base model (evaluateRun). Every stage resumes: run the same
 * call again after a crash or Ctrl-C and it continues where it stopped.
 */
export async function trainRecipe(options: TrainRecipeOptions): Promise<TrainRecipeResult> {
    const {recipe} = options;
    const log = options.log ?? ((l: string) => process.stderr.write(l + "\n"));
    const progress = options.progress ?? (process.stderr.isTTY ? "bar" : "log");
    const runDir = resolve(options.runDir ?? join("runs", recipe.name));
    const recipeDir = options.recipeDir ?? ".";
    const first = trainStages.indexOf(options.from ?? trainStages[0]);
    const last = trainStages.indexOf(options.until ?? (options.shard ? "responses" : trainStages[trainStages.length - 1]!));
    if (first > last)
        throw new DittoError(`--from ${options.from} comes after --until ${options.until}`, {hint: `stages run in this order: ${trainStages.join(", ")}`});
    const selected = new Set<TrainStage>(trainStages.slice(first, last + 1));
    const result: TrainRecipeResult = {runDir, datasetPath: join(runDir, "dataset.jsonl")};

    // every model the run will need, checked up front: a missing one fails now, not hours in
    const student = recipe.models.student ?? recipe.models.generator;
    if (selected.has("finetune") || selected.has("eval")) resolveModelRef(student, {baseDir: recipeDir});
    if (recipe.models.judge && selected.has("eval")) resolveModelRef(recipe.models.judge, {baseDir: recipeDir});

    const genStages = stageNames.filter((s) => selected.has(s)) as StageName[];
    // later stages read the data stages' files: those must have been made with today's settings
    const previous = readManifest(runDir);
    if (previous && !genStages.includes("dataset"))
        checkGenerationSettings(runDir, previous, recipe, {filters: true, rerun: `ditto train --recipe ${recipe.name}${options.runDir ? ` --run ${options.runDir}` : ""} --from dataset` + " with the same overrides"});
    if (genStages.length > 0) {
        log(`[data] ${recipe.name}: ${genStages.join(" -> ")} in ${runDir}`);
        const reporter = new StageProgressBars(progress, log);
        try {
            await generateDataset({
                recipe, runDir, recipeDir, recipeFile: options.recipeFile, stages: genStages, gpu: options.gpu, threads: options.threads, shard: options.shard,
                onProgress: reporter.onProgress, onWarning: (m) => log(`  warning: ${m}`)
            });
        } finally {
            reporter.stop();
        }
    }

    const trainDir = join(runDir, "train");
    const evalDir = join(runDir, "eval");
    const adapterPath = join(trainDir, "adapter.gguf");
    if (selected.has("finetune")) {
        if (!existsSync(result.datasetPath))
            throw new DittoError(`${result.datasetPath} not found: the data set is not complete`, {hint: "run the data stages first (without --from)", code: "STAGE_MISSING"});
        const settings = stageSettingsOf.finetune(recipe, (await fileSha256(result.datasetPath)).sha256);
        const changed = existsSync(trainDir) ? stageSettingsFile.diff(trainDir, settings) : [];
        if (changed.length > 0) {
            const old = moveAside(trainDir);
            log(`[finetune] ${trainDir} was made with other settings (${changed.join("; ")}): training again; the old adapter is kept in ${old}`);
            // the evaluation scored the old adapter: keep its report beside it (answers of the base model stay valid and are reused)
            if (existsSync(evalDir)) log(`[eval] the old evaluation is kept in ${copyAside(evalDir)}`);
        }
        outputDirs.make(trainDir);
        stageSettingsFile.write(trainDir, settings);
        if (existsSync(join(trainDir, "train.json")) && existsSync(adapterPath)) {
            log(`[finetune] done already: ${adapterPath}`);
        } else {
            const t = recipe.train;
            log(`[finetune] LoRA r${t.lora.rank} on ${t.lora.targets.join(",")} of ${student} -> ${trainDir}`);
            result.finetune = await finetune(finetuneInputFromRecipe(recipe,
                {modelPath: resolveModelRef(student, {baseDir: recipeDir}), dataPath: result.datasetPath, outDir: trainDir},
                {resume: true, progress, ...(options.threads ? {threads: options.threads} : {})}),
            {log: (l) => log(`  ${l}`)});
            log(`[finetune] ${result.finetune.steps} steps, final loss ${result.finetune.finalLoss.toFixed(4)}` +
                (result.finetune.finalEvalLoss === null ? "" : `, held-out ${result.finetune.finalEvalLoss.toFixed(4)}`));
        }
    }
    if (existsSync(adapterPath)) result.adapterPath = adapterPath;

    if (selected.has("eval")) {
        const settings = stageSettingsOf.eval(recipe);
        const changed = existsSync(evalDir) ? stageSettingsFile.diff(evalDir, settings) : [];
        if (changed.length > 0)
            log(`[eval] ${evalDir} was made with other settings (${changed.join("; ")}): evaluating again; the old evaluation is kept in ${moveAside(evalDir)}`);
        outputDirs.make(evalDir);
        stageSettingsFile.write(evalDir, settings);
        log(`[eval] held-out characters, ${result.adapterPath ? "adapter vs base" : "base model only"}`);
        result.evaluation = await evaluateRun({
            recipe, runDir, recipeDir, adapterPath: result.adapterPath ?? null, gpu: options.gpu, threads: options.threads,
            log: (l) => log(`  ${l}`)
        });
        const report = join(runDir, "eval", "report.html");
        if (existsSync(report)) result.reportPath = report;
    }
    return result;
}

/** Copies a folder to `<dir>.old-N` (the first free N) and leaves it in place. */
function copyAside(dir: string): string {
    let n = 1;
    while (existsSync(`${dir}.old-${n}`)) n++;
    cpSync(dir, `${dir}.old-${n}`, {recursive: true});
    return `${dir}.old-${n}`;
}
