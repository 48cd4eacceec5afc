import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {generateDataset} from "../../src/generate/generateDataset.js";
import type {StageProgress} from "../../src/generate/GenerateDatasetOptions.js";
import {loadRecipe} from "../../src/recipes/loadRecipe.js";
import {DittoError} from "../../src/errors/DittoError.js";
import {trainingExampleSchema} from "../../src/dataset/trainingExampleSchema.js";
import {writeTestRecipe} from "./testRecipe.js";

const base = mkdtempSync(join(tmpdir(), "ditto-gen-"));
const read = <T>(f: string): T[] => readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);

test("a recipe naming a missing model fails before any work, naming the file", async () => {
    const dir = join(base, "missing"); mkdirSync(dir);
    const file = writeTestRecipe(dir);
    writeFileSync(file, readFileSync(file, "utf8").replace(/generator: .*/, "generator: models/nope.gguf"));
    const {recipe, dir: rdir} = loadRecipe(file);
    await assert.rejects(generateDataset({recipe, recipeDir: rdir, runDir: join(dir, "run")}),
        (e: unknown) => e instanceof DittoError && e.code === "MODEL_MISSING" && e.message.includes("nope.gguf"));
    assert.equal(existsSync(join(dir, "run")), false);
});

test("too few characters and a later stage without its input are clear errors", async () => {
    const dir = join(base, "few"); mkdirSync(dir);
    const {recipe, dir: rdir} = loadRecipe(writeTestRecipe(dir, {characters: 2}));
    await assert.rejects(generateDataset({recipe, recipeDir: rdir, runDir: join(dir, "run"), stages: ["characters"]}),
        (e: unknown) => e instanceof DittoError && e.code === "CHARACTERS_TOO_FEW");
    const {recipe: r2} = loadRecipe(writeTestRecipe(dir));
    await assert.rejects(generateDataset({recipe: r2, recipeDir: rdir, runDir: join(dir, "run2"), stages: ["queries"]}),
        (e: unknown) => e instanceof DittoError && e.code === "STAGE_MISSING");
});

test("generate: every stage for real on the tiny model, stage by stage, with held-out characters and self-check", {timeout: 600_000}, async () => {
    const dir = join(base, "full"); mkdirSync(dir);
    const file = writeTestRecipe(dir, {parallel: 4, characters: 5, filters: ["empty", "truncated", "duplicate", "near_duplicate", "language", "role_break", "length", "self_check"]});
    const {recipe, dir: rdir} = loadRecipe(file, ["filters.min_chars=0"]);
    const run = join(dir, "run");
    const events: StageProgress[] = [];
    await generateDataset({recipe, recipeDir: rdir, recipeFile: file, runDir: run, stages: ["characters", "pairs"], onProgress: (e) => events.push(e)});
    assert.ok(existsSync(join(run, "pairs.jsonl")) && !existsSync(join(run, "queries.jsonl")));
    const res = await generateDataset({recipe, recipeDir: rdir, recipeFile: file, runDir: run, onProgress: (e) => events.push(e)});
    assert.deepEqual(events.filter((e) => e.event === "skip").map((e) => e.stage), ["characters", "pairs"]);
    assert.ok(events.some((e) => e.stage === "responses" && e.event === "progress" && e.total > 0));

    const m = res.manifest;
    assert.match(m.models.generator!.sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.seed, 5);
    assert.equal(m.split!.eval.length, 1);
    assert.equal(m.split!.train.length, 4);
    assert.deepEqual(Object.values(m.stages).map((s) => s.status), Object.keys(m.stages).map(() => "done"));
    assert.ok(Object.keys(m.stages).length >= 6, Object.keys(m.stages).join(", "));
    const held = m.split!.eval[0]!;

    const pairs = read<{a: string, b: string}>(res.files.pairs);
    assert.ok(pairs.length > 0);
    assert.ok(pairs.every((p) => p.a !== held && p.b !== held && p.a !== p.b));
    const queries = read<{id: string, pair: string, asker: string, owner: string, provenance: string, question: string}>(res.files.queries);
    assert.ok(queries.length > 0);
    for (const q of queries) {
        assert.equal(q.provenance === "own", q.asker === q.owner);
        // every question is asked twice: to its owner (own) and to the partner (partner)
        assert.equal(queries.filter((x) => x.pair === q.pair && x.question === q.question && x.owner === q.owner).length, 2);
    }
    const turns = read<{id: string, query: string, character: string, finish: string}>(res.files.responses);
    const rejectedQueries = read<{reason: string}>(join(run, "queries.rejected.jsonl"));
    assert.equal(turns.length, queries.length);
    assert.deepEqual([...new Set(rejectedQueries.map((r) => r.reason))].filter((r) => r !== "no_valid_sample"), []);

    const sessions = read<{character: string, system: string, turns: {turn: string}[]}>(res.files.sessions);
    assert.equal(sessions.flatMap((s) => s.turns).length, turns.length);
    assert.ok(sessions.length > 0);
    assert.ok(sessions.every((s) => s.turns.length <= 3 && /^You are .+, .+\.$/.test(s.system) && s.character !== held));

    const rejected = read<{id: string, stage: string, reason: string}>(res.files.rejected);
    const filterDrops = rejected.filter((r) => r.stage === "filter");
    assert.deepEqual(filterDrops.filter((r) => !recipe.filters.enabled.includes(r.reason as never)), []);
    const dataset = read<unknown>(res.files.dataset).map((l) => trainingExampleSchema.parse(l));
    const keptTurns = dataset.reduce((n, e) => n + e.messages.filter((x) => x.role === "assistant").length, 0);
    assert.equal(keptTurns + filterDrops.length, turns.length);
    for (const e of dataset) {
        assert.equal(e.messages[0]!.role, "system");
        assert.equal(e.meta!.provenance!.length, (e.messages.length - 1) / 2);
        assert.notEqual(e.meta!.character, held);
    }
    assert.equal(m.stages.dataset.rejected, filterDrops.length);
    if (recipe.filters.enabled.includes("self_check")) assert.ok(existsSync(join(run, "checks.jsonl")));

    // other generation settings in the same run folder would mix two data sets: refused
    const {recipe: changed} = loadRecipe(file, ["generate.turns_per_session=2"]);
    await assert.rejects(generateDataset({recipe: changed, recipeDir: rdir, runDir: run}), (e: unknown) => e instanceof DittoError && e.code === "RUN_RECIPE_CHANGED");
    // other filters only redo the last stage
    const {recipe: fewer} = loadRecipe(file, ["filters.enabled=[]"]);
    const again = await generateDataset({recipe: fewer, recipeDir: rdir, runDir: run});
    assert.equal(read<unknown>(again.files.dataset).length, sessions.length);
});
