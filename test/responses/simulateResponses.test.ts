import {test, after} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import type {Character} from "../../src/characters/characterSchema.js";
import type {Rejection} from "../../src/filters/rejectionSchema.js";
import {PromptTemplates} from "../../src/generate/PromptTemplates.js";
import {pairCharacters} from "../../src/queries/pairCharacters.js";
import type {Query} from "../../src/queries/querySchema.js";
import {simulateQueries} from "../../src/queries/simulateQueries.js";
import {simulateResponses, turnIdFor} from "../../src/responses/simulateResponses.js";
import type {Turn} from "../../src/responses/turnSchema.js";
import {JsonlStore} from "../../src/runs/JsonlStore.js";
import {GenerationPool} from "../../src/runtime/GenerationPool.js";
import {loadModel} from "../../src/runtime/loadModel.js";
import {openLlama} from "../../src/runtime/openLlama.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

const llama = await openLlama("cpu");
const model = await loadModel(llama, fixtureModel("qwen2", "q8_0"));
// threads 1: see test/generate/testRecipe.ts
const pool = await GenerationPool.create(llama, model, {parallel: 2, contextSize: 1024, threads: 1});
after(async () => { await pool.dispose(); await model.dispose(); });

const dir = mkdtempSync(join(tmpdir(), "ditto-sim-"));
const c = (id: string, label: string, category: string): Character => ({id, label, description: `${label}, someone`, aliases: [], claims: ["occupation: x"], summary: "A life.", lang: "en", category, source: "file"});
const characters = new Map([c("c-a", "Ada Lovelace", "real person"), c("c-n", "Captain Nemo", "fictional character")].map((x) => [x.id, x]));
const prompts = new PromptTemplates();
const sampling = {temperature: 1, topP: 0.95, topK: 40, repeatPenalty: 1.1, maxTokens: 80};

test("queries then responses on the tiny model: own/partner labels, ids, and a resumed call does nothing", async () => {
    const pairs = pairCharacters([...characters.values()], 1);
    assert.equal(pairs.length, 1);
    const store = JsonlStore.open<Query>(join(dir, "queries.jsonl"));
    const rejects = JsonlStore.open<Rejection>(join(dir, "queries.rejected.jsonl"));
    const opts = {generator: pool, prompts, pairs, characters, queriesPerPair: 2, samples: 2, bothDirections: true, maxProfileChars: 400,
        questionMaxChars: 16, sampling, seed: 1, store, rejects};
    await simulateQueries(opts);
    // two directions: each either made 2 questions x (own, partner) or was rejected
    assert.equal(store.size + rejects.size * 4, 8);
    assert.ok(store.size > 0, "the JSON grammar keeps the tiny model's samples parseable");
    for (const q of store.values()) {
        assert.equal(q.provenance === "own" ? q.asker : q.owner !== q.asker, q.provenance === "own" ? q.owner : true);
        assert.ok([...q.question].length > 0 && [...q.question].length <= 16);
    }
    const tokens = pool.generatedTokens;
    await simulateQueries(opts);
    assert.equal(pool.generatedTokens, tokens, "finished groups are skipped");

    const queries = store.values().sort((a, b) => a.id < b.id ? -1 : 1);
    const turns = JsonlStore.open<Turn>(join(dir, "responses.jsonl"));
    const progress: number[] = [];
    await simulateResponses({generator: pool, prompts, queries, characters, maxProfileChars: 400, sampling: {...sampling, maxTokens: 8}, seed: 1, store: turns, onProgress: (d) => progress.push(d)});
    assert.equal(turns.size, queries.length);
    assert.equal(progress.at(-1), queries.length);
    for (const q of queries) {
        const t = turns.get(turnIdFor(q.id))!;
        assert.equal(t.query, q.id);
        assert.equal(t.character, q.asker);
        assert.equal(t.provenance, q.provenance);
        assert.ok(t.tokens <= 8 && ["stop", "length"].includes(t.finish));
    }
    turns.finalize((a, b) => a.id < b.id ? -1 : 1);
    const lines = readFileSync(join(dir, "responses.jsonl"), "utf8").trim().split("\n");
    assert.equal(lines.length, queries.length);
});
