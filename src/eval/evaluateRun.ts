import {existsSync, writeFileSync} from "node:fs";
import {basename, join} from "node:path";
import type {LlamaModel} from "node-llama-cpp";
import {DittoError} from "../errors/DittoError.js";
import {resolveModelRef} from "../models/resolveModelRef.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import type {GenerationBackend} from "../runtime/GenerationBackend.js";
import {GenerationPool} from "../runtime/GenerationPool.js";
import {loadModel} from "../runtime/loadModel.js";
import {openGenerationBackend} from "../runtime/openGenerationBackend.js";
import {openLlama, type GpuChoice} from "../runtime/openLlama.js";
import {answerEvalSet} from "./answerEvalSet.js";
import {answerSchema, type Answer, type EvalVariant} from "./answerSchema.js";
import {buildEvalSet} from "./buildEvalSet.js";
import {writeEvalSet} from "./writeEvalSet.js";
import {evalPaths} from "./evalPaths.js";
import {importWikiRoleEval} from "./importWikiRoleEval.js";
import {judgeAnswers} from "./judgeAnswers.js";
import {judgementSchema, type Judgement} from "./judgementSchema.js";
import {readEvalSet} from "./readEvalSet.js";
import {readCharacters} from "./readRunFiles.js";
import {reopenStore} from "./reopenStore.js";
import {fileFingerprint, readEvalIdentity, writeEvalIdentity, type EvalIdentity} from "./evalIdentity.js";
import type {EvalReport} from "./reportTypes.js";
import {writeEvalReport} from "./writeEvalReport.js";
import {outputDirs} from "../runs/outputDirs.js";

export const evalStages = ["build", "run", "report"] as const;
export type EvalStage = typeof evalStages[number];

export type EvaluateRunOptions = {
    recipe: Recipe,
    /** runs/NAME: reads characters.jsonl, manifest.json (split), queries.jsonl; writes eval/ */
    runDir: string,
    /** folder the recipe's relative model paths are relative to (default: the working directory) */
    recipeDir?: string,
    /** the model under test, a path or model reference (default: models.student, else models.generator) */
    model?: string,
    /** LoRA adapter GGUF to evaluate; default RUN/train/adapter.gguf when it exists; null: the base model only */
    adapterPath?: string | null,
    /** adapter scale (default 1) */
    adapterScale?: number,
    /** judge model, a path or model reference (default: models.judge, else the model under test without the adapter) */
    judge?: string,
    /** a published WikiRoleEval JSONL file to evaluate on, instead of the run's held-out characters */
    evalFile?: string,
    /** stages to run, in order (default all: build, run, report); build is skipped when evalset.jsonl exists unless listed */
    stages?: EvalStage[],
    /** overrides of the recipe's runtime settings */
    gpu?: GpuChoice,
    threads?: number,
    parallel?: number,
    contextSize?: number,
    /** stops the evaluation; finished answers and judgements are kept and a rerun resumes */
    signal?: AbortSignal,
    log?: (line: string) => void,
    /** progress: each answer and judgement as it is stored */
    onAnswer?: (answer: Answer) => void,
    onJudgement?: (judgement: Judgement) => void,
    /** progress counts, after each answer and judgement (done includes work finished by an earlier call) */
    onProgress?: (progress: {stage: "answer" | "judge", done: number, total: number}) => void
};

export type EvaluateRunResult = {
    /** undefined when the report stage did not run (or the evaluation was interrupted) */
    report?: EvalReport,
    files: string[],
    /** answers and judgements made by this call (finished ones from an earlier call are not redone) */
    answered: number,
    judged: number,
    /** judgements found finished from an earlier call */
    skipped: number,
    aborted: boolean
};

/**
 * The whole evaluation of a run (method.md stage 4): the held-out eval set, the model under test
 * answering it (with the adapter, and without it for comparison), the three judges, and the
 * report. Resumable at every step: a killed evaluation restarts where it stopped.
 */
export async function evaluateRun(options: EvaluateRunOptions): Promise<EvaluateRunResult> {
    const {recipe, runDir} = options;
    const log = options.log ?? (() => {});
    const p = evalPaths(runDir);
    const stages = new Set(options.stages ?? evalStages);
    const rt = recipe.runtime;
    const result: EvaluateRunResult = {files: [], answered: 0, judged: 0, skipped: 0, aborted: false};
    if (stages.size === 1 && stages.has("report")) {
        // the report needs no model: it works on another machine than the one that judged
        const written = writeEvalReport(runDir);
        return {...result, report: written.report, files: written.files};
    }
    const modelRef = options.model ?? recipe.models.student ?? recipe.models.generator;
    const modelPath = resolveModelRef(modelRef, {baseDir: options.recipeDir});
    const adapterPath = options.adapterPath === null ? undefined : options.adapterPath ?? (existsSync(p.adapter) ? p.adapter : undefined);
    if (adapterPath !== undefined && !existsSync(adapterPath))
        throw new DittoError(`adapter ${adapterPath} not found`, {hint: "train first (`ditto train`), or leave out --adapter to evaluate the base model", code: "EVAL_ADAPTER"});
    const judgeRef = options.judge ?? recipe.models.judge;
    // a judge that is the model under test itself shares its base context instead of loading it twice
    const separateJudge = judgeRef !== undefined &&
        (rt.backend === "openai-compatible" || resolveModelRef(judgeRef, {baseDir: options.recipeDir}) !== modelPath);
    const poolOptions = {parallel: options.parallel ?? rt.parallel, contextSize: options.contextSize ?? rt.context_size, threads: options.threads ?? rt.threads};

    // The base model is loaded once and shared by the base answers, the adapter answers (own
    // context with the adapter) and, by default, the judge.
    let model: LlamaModel | undefined;
    const pools: GenerationBackend[] = [];
    const openPool = async (adapters?: {path: string, scale?: number}[]) => {
        const llama = await openLlama(options.gpu ?? rt.gpu);
        model ??= await loadModel(llama, modelPath);
        const pool = await GenerationPool.create(llama, model, {...poolOptions, adapters});
        pools.push(pool);
        return pool;
    };
    let basePool: GenerationBackend | undefined;
    const getBasePool = async () => basePool ??= await openPool();

    try {
        // `ditto eval` (all stages) keeps an imported set; `ditto eval build` always rebuilds
        const keepImported = !options.stages && !options.evalFile && existsSync(p.evalSet) && readEvalSet(p.evalSet)[0]!.source === "wikiroleeval";
        if ((stages.has("build") && !keepImported) || (stages.has("run") && !existsSync(p.evalSet))) {
            outputDirs.make(p.dir);
            if (options.evalFile) {
                const sessions = importWikiRoleEval(options.evalFile);
                writeEvalSet(runDir, sessions);
                log(`imported ${sessions.length} sessions from ${options.evalFile}`);
            } else {
                const built = await buildEvalSet({runDir, recipe, getPool: getBasePool, signal: options.signal, log});
                log(`eval set: ${built.sessions.length} held-out sessions, ${built.sessions.reduce((a, s) => a + s.turns.length, 0)} turns` +
                    (built.generated.model + built.generated.template > 0 ? ` (questions written here: ${built.generated.model} by the model, ${built.generated.template} from profile claims)` : ""));
            }
            result.files.push(p.evalSet);
        }

        if (stages.has("run")) {
            const sessions = readEvalSet(p.evalSet);
            const models = {base: basename(modelPath), ...(adapterPath ? {adapter: basename(adapterPath)} : {}), judge: separateJudge ? basename(judgeRef!) : `${basename(modelPath)} (no adapter)`};
            writeFileSync(p.models, JSON.stringify(models, null, 2) + "\n");
            const variants: EvalVariant[] = adapterPath ? (recipe.eval.compare_base ? ["adapter", "base"] : ["adapter"]) : ["base"];
            // answers and judgements made with another base model, adapter or judge are redone
            const before = readEvalIdentity(p.identity);
            const identity: EvalIdentity = {base: fileFingerprint(modelPath), ...(adapterPath ? {adapter: fileFingerprint(adapterPath)} : {}),
                judge: separateJudge ? (rt.backend === "openai-compatible" ? `remote:${judgeRef}` : fileFingerprint(resolveModelRef(judgeRef!, {baseDir: options.recipeDir}))) : "base",
                variants};
            const stillValid = (v: EvalVariant) => before !== undefined && before.base === identity.base && (v === "base" || before.adapter === identity.adapter);
            // an answer to a question the (rebuilt) eval set no longer asks at that turn is redone too
            const questionOf = new Map(sessions.flatMap((s) => s.turns.map((t) => [t.id, t.question] as const)));
            const answers = reopenStore<Answer>(p.answers, (v) => answerSchema.parse(v),
                (a) => stillValid(a.variant) && (!questionOf.has(a.turn) || questionOf.get(a.turn) === a.question));
            const kept = new Set(answers.values().map((a) => a.id));
            const judgements = reopenStore<Judgement>(p.judgements, (v) => judgementSchema.parse(v),
                (j) => kept.has(j.answer) && before!.judge === identity.judge);
            writeEvalIdentity(p.identity, identity);
            for (const variant of variants) {
                const todo = sessions.filter((s) => s.turns.some((t) => !answers.has(`${variant}/${t.id}`)));
                if (todo.length === 0 || options.signal?.aborted) continue;
                log(`answering ${todo.length} session(s) with the ${variant} model`);
                const pool = variant === "adapter" ? await openPool([{path: adapterPath!, scale: options.adapterScale ?? 1}]) : await getBasePool();
                const total = sessions.reduce((n, s) => n + s.turns.length, 0);
                await answerEvalSet({sessions: todo, pool, variant, store: answers, recipe, signal: options.signal, onAnswer: (a) => {
                    result.answered++;
                    options.onAnswer?.(a);
                    options.onProgress?.({stage: "answer", done: answers.values().filter((x) => x.variant === variant).length, total});
                }});
                if (variant === "adapter") {
                    // free the adapter's context before judging
                    pools.splice(pools.indexOf(pool), 1);
                    await pool.dispose();
                }
            }
            if (!options.signal?.aborted) {
                const turnIds = new Set(sessions.flatMap((s) => s.turns.map((t) => t.id)));
                const toJudge = answers.values().filter((a) => turnIds.has(a.turn) && variants.includes(a.variant));
                const judge = separateJudge
                    ? await openGenerationBackend({...recipe, models: {...recipe.models, judge: judgeRef},
                        runtime: {...rt, gpu: options.gpu ?? rt.gpu, threads: poolOptions.threads, context_size: poolOptions.contextSize}},
                        {role: "judge", recipeDir: options.recipeDir, parallel: poolOptions.parallel})
                    : await getBasePool();
                if (separateJudge) pools.push(judge);
                log(`judging ${toJudge.length} answers (${recipe.eval.samples} sample(s) x 3 judges each)`);
                // the run's characters, so the knowledge judge's profile is cut in tokens (an imported set has its own profiles)
                const characters = existsSync(join(runDir, "characters.jsonl")) ? readCharacters(runDir) : [];
                const j = await judgeAnswers({sessions, answers: toJudge, judge, store: judgements, recipe, characters, signal: options.signal, onJudgement: (x) => {
                    result.judged++;
                    options.onJudgement?.(x);
                    options.onProgress?.({stage: "judge", done: judgements.size, total: toJudge.length * 3 * recipe.eval.samples});
                }});
                result.skipped = j.skipped;
                if (j.trimmed.profiles > 0) log(`note: the knowledge judge read ${j.trimmed.profiles} profile(s) cut by ${j.trimmed.tokens} tokens to fit its context`);
                if (!options.signal?.aborted) {
                    answers.finalize((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
                    judgements.finalize((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
                    const failed = judgements.values().filter((x) => !x.ok).length;
                    log(`judged: ${judgements.size} judgements${failed > 0 ? `, ${failed} with no valid output (recorded as failures)` : ""}`);
                }
            }
            result.files.push(p.answers, p.judgements);
        }

        result.aborted = options.signal?.aborted ?? false;
        if (stages.has("report") && !result.aborted) {
            const written = writeEvalReport(runDir);
            result.report = written.report;
            result.files.push(...written.files);
        }
        return result;
    } finally {
        for (const pool of pools) await pool.dispose();
        await model?.dispose();
    }
}
