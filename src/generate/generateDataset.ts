import {existsSync, renameSync, rmSync} from "node:fs";
import {join, resolve} from "node:path";
import type {Character} from "../characters/characterSchema.js";
import {characterSchema} from "../characters/characterSchema.js";
import {splitHeldOutCharacters} from "../characters/splitHeldOutCharacters.js";
import {toTrainingExample} from "../dataset/toTrainingExample.js";
import {DittoError} from "../errors/DittoError.js";
import {filterSessions} from "../filters/filterSessions.js";
import {rejectionSchema, type Rejection} from "../filters/rejectionSchema.js";
import {selfCheckVerdictSchema, type SelfCheckVerdict} from "../filters/selfCheckVerdictSchema.js";
import {resolveModelRef} from "../models/resolveModelRef.js";
import {pairCharacters} from "../queries/pairCharacters.js";
import {pairSchema} from "../queries/pairSchema.js";
import {shardOf} from "../runs/shardOf.js";
import {querySchema, type Query} from "../queries/querySchema.js";
import {simulateResponses} from "../responses/simulateResponses.js";
import {turnSchema, type Turn} from "../responses/turnSchema.js";
import {fileSha256} from "../runs/fileSha256.js";
import {JsonlStore} from "../runs/JsonlStore.js";
import type {Manifest} from "../runs/manifestSchema.js";
import {readJsonl} from "../runs/readJsonl.js";
import {readManifest} from "../runs/readManifest.js";
import {stageFiles, stageNames, type StageName} from "../runs/stageNames.js";
import {toolVersion} from "../runs/toolVersion.js";
import {writeJsonlAtomic} from "../runs/writeJsonlAtomic.js";
import {writeManifest} from "../runs/writeManifest.js";
import {simulateQueries} from "../queries/simulateQueries.js";
import {assembleSessions} from "../sessions/assembleSessions.js";
import {sessionSchema} from "../sessions/sessionSchema.js";
import {collectCharacters} from "./collectCharacters.js";
import type {GenerateDatasetOptions, StageProgress} from "./GenerateDatasetOptions.js";
import {ModelSession} from "./ModelSession.js";
import {PromptTemplates} from "./PromptTemplates.js";
import {filtersFingerprint, recipeFingerprint} from "./recipeFingerprint.js";
import {checkGenerationSettings} from "./checkGenerationSettings.js";
import {toSampling} from "./toSampling.js";
import {outputDirs} from "../runs/outputDirs.js";

export type GenerateDatasetResult = {runDir: string, manifest: Manifest, files: Record<StageName | "rejected" | "manifest", string>};

const byId = <T extends {id: string}>(a: T, b: T) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * The Ditto data pipeline (method.md stages 1-3) into a run folder: characters -> pairs -> queries
 * -> responses -> sessions -> dataset (filters, rejected.jsonl, dataset.jsonl), with manifest.json.
 *
 * Resumable at any point: each stage's file appears (atomic rename) only when complete; model
 * stages append finished records to `<file>.partial` and skip them on restart; every model call's
 * seed derives from its record's id, and every file is written sorted by id. So a killed and
 * restarted run loses nothing, duplicates nothing, and asks the model the same questions.
 */
export async function generateDataset(options: GenerateDatasetOptions): Promise<GenerateDatasetResult> {
    const {recipe} = options;
    const runDir = resolve(options.runDir);
    const recipeDir = resolve(options.recipeDir ?? ".");
    const wanted = new Set(options.stages ?? stageNames);
    for (const s of wanted) if (!stageNames.includes(s)) throw new DittoError(`unknown stage "${s}"`, {hint: `stages are ${stageNames.join(", ")}`, code: "STAGE_UNKNOWN"});
    const file = (name: string) => join(runDir, name);
    const warn = (m: string) => { manifest.warnings.push(m); options.onWarning?.(m); };

    // resolve the model first: a recipe naming a missing model fails before any work
    const modelPath = resolveModelRef(recipe.models.generator, {baseDir: recipeDir});
    try { outputDirs.make(runDir); } catch (err) {
        throw new DittoError(`cannot create run folder ${runDir}: ${err instanceof Error ? err.message : String(err)}`, {hint: "choose a run folder you can write to (--run DIR)", code: "NOT_WRITABLE", cause: err});
    }
    const shard = options.shard;
    if (shard) {
        if (!(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 0 && shard.index < shard.count))
            throw new DittoError(`shard ${shard.index}/${shard.count} is not valid`, {hint: "use --shard i/n with 0 <= i < n, e.g. --shard 0/4", code: "SHARD_INVALID"});
        const late = [...wanted].filter((s) => s === "sessions" || s === "dataset");
        if (late.length > 0)
            throw new DittoError(`a shard (--shard ${shard.index}/${shard.count}) runs the stages up to responses only, not ${late.join(", ")}`, {
                hint: "run the shards with --until responses, merge them with `ditto runs merge`, then continue the merged run with --from sessions", code: "SHARD_STAGES"});
    }
    const fingerprint = recipeFingerprint(recipe);
    const previous = readManifest(runDir);
    // a folder with only characters and pairs (the documented way to start shards) may become any shard
    const queriesStarted = existsSync(join(runDir, stageFiles.queries)) || existsSync(join(runDir, stageFiles.queries + ".partial"));
    if (previous && JSON.stringify(previous.shard) !== JSON.stringify(shard) && (queriesStarted || previous.shard))
        throw new DittoError(`${runDir} was made ${previous.shard ? `as shard ${previous.shard.index}/${previous.shard.count}` : "without --shard"}, not ${shard ? `as shard ${shard.index}/${shard.count}` : "without --shard"}`, {
            hint: "resume a run folder with the --shard it was started with, or use a new --run folder", code: "SHARD_CHANGED"});
    if (previous) checkGenerationSettings(runDir, previous, recipe);
    const now = new Date().toISOString();
    const {sha256, bytes} = await fileSha256(modelPath);
    const manifest: Manifest = previous ?? {
        tool: "ditto", version: toolVersion(), created: now, updated: now, recipe_file: options.recipeFile,
        recipe: recipe as unknown as Record<string, unknown>, fingerprint, seed: recipe.seed, models: {},
        stages: Object.fromEntries(stageNames.map((n) => [n, {status: "pending"}])) as Manifest["stages"], warnings: []
    };
    manifest.version = toolVersion();
    if (shard) manifest.shard = shard;
    manifest.recipe = recipe as unknown as Record<string, unknown>;
    manifest.models.generator = {ref: recipe.models.generator, path: modelPath, bytes, sha256};
    // filters shape only the last stage: changed filters redo it (cheap: no model unless self_check, whose verdicts are kept)
    const filtersHash = filtersFingerprint(recipe);
    if (manifest.filters_fingerprint !== filtersHash && existsSync(file(stageFiles.dataset))) {
        rmSync(file(stageFiles.dataset));
        manifest.stages.dataset = {status: "pending"};
    }
    manifest.filters_fingerprint = filtersHash;
    writeManifest(runDir, manifest);

    const prompts = new PromptTemplates(recipe.generate.prompts ? resolve(recipeDir, recipe.generate.prompts) : undefined);
    const model = new ModelSession(modelPath, recipe, options.gpu, options.threads);
    const maxProfileChars = recipe.characters.max_profile_chars;
    const need = (stage: StageName) => {
        if (!existsSync(file(stageFiles[stage])))
            throw new DittoError(`stage "${stage}" is not complete in ${runDir}, and a later stage needs it`, {hint: `run it first (include "${stage}" in the stages, or run without --from/--until)`, code: "STAGE_MISSING"});
    };
    const characters = () => { need("characters"); return new Map(readJsonl(file(stageFiles.characters), characterSchema).map((c) => [c.id, c] as const)); };

    const runStage = async (stage: StageName, body: (report: (done: number, total: number) => void) => Promise<{count: number, rejected?: number, drops?: Record<string, number>, trimmed?: {profiles: number, tokens: number}}>) => {
        if (!wanted.has(stage)) return;
        if (existsSync(file(stageFiles[stage])) && manifest.stages[stage].status === "done") {
            options.onProgress?.({stage, event: "skip", done: manifest.stages[stage].count ?? 0, total: manifest.stages[stage].count ?? 0, tokens: 0, elapsedMs: 0});
            return;
        }
        const started = Date.now();
        const tokens0 = model.generatedTokens;
        const event = (e: StageProgress["event"], done: number, total: number) =>
            options.onProgress?.({stage, event: e, done, total, tokens: model.generatedTokens - tokens0, elapsedMs: Date.now() - started});
        manifest.stages[stage] = {status: "running", started: new Date(started).toISOString()};
        writeManifest(runDir, manifest);
        event("start", 0, 0);
        let last = {done: 0, total: 0};
        // a tick between records too: tokens of the sequences in flight move the display within seconds
        const tick = setInterval(() => event("progress", last.done, last.total), 2000);
        tick.unref();
        let res: Awaited<ReturnType<typeof body>>;
        try {
            res = await body((done, total) => { last = {done, total}; event("progress", done, total); });
        } finally {
            clearInterval(tick);
        }
        manifest.stages[stage] = {
            status: "done", count: res.count, rejected: res.rejected, drops: res.drops, trimmed: res.trimmed, tokens: model.generatedTokens - tokens0,
            seconds: (Date.now() - started) / 1000, started: new Date(started).toISOString(), finished: new Date().toISOString()
        };
        writeManifest(runDir, manifest);
        options.onProgress?.({stage, event: "done", done: last.done || res.count, total: last.total || res.count,
            tokens: model.generatedTokens - tokens0, elapsedMs: Date.now() - started, trimmed: res.trimmed});
    };

    try {
        await runStage("characters", async (report) => {
            const all = await collectCharacters({recipe, recipeDir, runDir, prompts, model, warn, report});
            if (all.length < 2)
                throw new DittoError(`only ${all.length} usable character(s) in languages ${recipe.characters.languages.join(", ")}; at least 2 are needed to make pairs`, {
                    hint: "add characters (characters.files / characters.count) or check characters.languages", code: "CHARACTERS_TOO_FEW"});
            const split = splitHeldOutCharacters(all, recipe.characters.held_out, recipe.seed);
            if (split.train.length < 2)
                throw new DittoError(`${all.length} characters with held_out ${recipe.characters.held_out} leaves ${split.train.length} to train on; at least 2 are needed`, {
                    hint: "lower characters.held_out or add characters", code: "CHARACTERS_TOO_FEW"});
            manifest.split = split;
            writeJsonlAtomic(file(stageFiles.characters), [...all].sort(byId));
            return {count: all.length};
        });
        if (wanted.has("pairs") && !manifest.split) {
            // the split is derived from characters.jsonl; recompute if the manifest lost it
            const all = [...characters().values()];
            manifest.split = splitHeldOutCharacters(all, recipe.characters.held_out, recipe.seed);
        }
        await runStage("pairs", async () => {
            const chars = characters();
            const train = new Set(manifest.split!.train);
            const pairs = pairCharacters([...chars.values()].filter((c) => train.has(c.id)), recipe.seed);
            writeJsonlAtomic(file(stageFiles.pairs), pairs);
            return {count: pairs.length};
        });
        await runStage("queries", async (report) => {
            need("pairs");
            const store = JsonlStore.open<Query>(file(stageFiles.queries));
            const rejects = JsonlStore.open<Rejection>(file("queries.rejected.jsonl"));
            const pool = await model.pool();
            const trimmed = await simulateQueries({
                generator: pool, tokens: pool, prompts, pairs: readJsonl(file(stageFiles.pairs), pairSchema).filter((p) => !shard || shardOf(p.id, shard.count) === shard.index), characters: characters(),
                queriesPerPair: recipe.generate.queries_per_pair, samples: recipe.generate.samples, bothDirections: recipe.generate.both_directions,
                maxProfileChars, questionMaxChars: recipe.generate.question_max_chars, sampling: toSampling(recipe.generate.query_sampling),
                seed: recipe.seed, store, rejects, onProgress: report
            });
            // the rejects first: the queries file is the stage's "done" mark
            rejects.finalize(byId);
            store.finalize(byId);
            return {count: store.size, rejected: rejects.size, trimmed};
        });
        await runStage("responses", async (report) => {
            need("queries");
            const store = JsonlStore.open<Turn>(file(stageFiles.responses));
            const pool = await model.pool();
            const trimmed = await simulateResponses({
                generator: pool, tokens: pool, prompts, queries: readJsonl(file(stageFiles.queries), querySchema), characters: characters(),
                maxProfileChars, sampling: toSampling(recipe.generate.sampling), seed: recipe.seed, store, onProgress: report
            });
            store.finalize(byId);
            return {count: store.size, trimmed};
        });
        await runStage("sessions", async () => {
            need("responses");
            const sessions = assembleSessions({
                turns: readJsonl(file(stageFiles.responses), turnSchema), characters: characters(), prompts,
                turnsPerSession: recipe.generate.turns_per_session, profileInSystem: recipe.generate.profile_in_system, maxProfileChars, seed: recipe.seed
            });
            writeJsonlAtomic(file(stageFiles.sessions), sessions);
            return {count: sessions.length};
        });
        await runStage("dataset", async (report) => {
            need("sessions");
            const turns = new Map(readJsonl(file(stageFiles.responses), turnSchema).map((t) => [t.id, t] as const));
            // self-check verdicts are kept across runs (a filters change redoes this stage without asking again)
            if (existsSync(file("checks.jsonl"))) renameSync(file("checks.jsonl"), file("checks.jsonl.partial"));
            const checks = recipe.filters.enabled.includes("self_check") ? JsonlStore.open<SelfCheckVerdict>(file("checks.jsonl"), {parse: (v) => selfCheckVerdictSchema.parse(v)}) : undefined;
            const {kept, rejected} = await filterSessions({
                sessions: readJsonl(file(stageFiles.sessions), sessionSchema), turns, characters: characters(), filters: recipe.filters,
                selfCheck: checks ? {generator: await model.pool(), prompts, seed: recipe.seed, store: checks} : undefined, onProgress: report
            });
            checks?.finalize(byId);
            const queryRejects = existsSync(file("queries.rejected.jsonl")) ? readJsonl(file("queries.rejected.jsonl"), rejectionSchema) : [];
            const all = [...queryRejects, ...rejected.sort(byId)];
            writeJsonlAtomic(file("rejected.jsonl"), all);
            writeJsonlAtomic(file(stageFiles.dataset), kept.map(toTrainingExample));
            const drops: Record<string, number> = {};
            for (const r of rejected) drops[r.reason] = (drops[r.reason] ?? 0) + 1;
            return {count: kept.length, rejected: rejected.length, drops};
        });
    } finally {
        await model.dispose();
    }
    const files = Object.fromEntries([...stageNames.map((s) => [s, file(stageFiles[s])]), ["rejected", file("rejected.jsonl")], ["manifest", file("manifest.json")]]) as GenerateDatasetResult["files"];
    return {runDir, manifest, files};
}
