import {test, after} from "node:test";
import assert from "node:assert/strict";
import {existsSync, mkdtempSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {elicitCharacters} from "../../src/characters/elicitCharacters.js";
import {mergeCharacters} from "../../src/characters/mergeCharacters.js";
import type {Character} from "../../src/characters/characterSchema.js";
import {characterSchema} from "../../src/characters/characterSchema.js";
import {PromptTemplates} from "../../src/generate/PromptTemplates.js";
import {GenerationPool} from "../../src/runtime/GenerationPool.js";
import {loadModel} from "../../src/runtime/loadModel.js";
import {openLlama} from "../../src/runtime/openLlama.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

const llama = await openLlama("cpu");
const model = await loadModel(llama, fixtureModel("qwen2", "q8_0"));
const pool = await GenerationPool.create(llama, model, {parallel: 2, contextSize: 1024, threads: 1});
after(async () => { await pool.dispose(); await model.dispose(); });

test("elicit on the tiny model: listed names become valid profiles in each language, resumable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ditto-elicit-"));
    const sampling = {temperature: 1, topP: 0.95, topK: 40, repeatPenalty: 1.1, maxTokens: 60};
    const opts = {generator: pool, prompts: new PromptTemplates(), languages: ["en", "zh"], count: 4, batch: 2, rounds: 2, seed: 1,
        sampling, profileSampling: {...sampling, maxTokens: 80}, workDir: dir};
    const chars = await elicitCharacters(opts);
    assert.ok(chars.length >= 1 && chars.length <= 4);
    for (const c of chars) {
        characterSchema.parse(c);
        assert.equal(c.source, "elicit");
        assert.ok(["en", "zh"].includes(c.lang));
        assert.ok(["real person", "fictional character"].includes(c.category));
    }
    assert.ok(existsSync(join(dir, "elicit-profiles.jsonl")));
    const tokens = pool.generatedTokens;
    assert.deepEqual(await elicitCharacters(opts), chars);
    assert.equal(pool.generatedTokens, tokens, "a second run reads the finished calls back");
});

test("duplicates by name or alias are merged into one character", () => {
    const c = (id: string, label: string, aliases: string[], claims: string[], lang = "en"): Character =>
        ({id, label, description: "d", aliases, claims, summary: claims.join(" "), lang, category: "real person", source: "elicit"});
    const merged = mergeCharacters([c("c-1", "Albert Einstein", ["Einstein"], ["a"]), c("c-2", "einstein", [], ["b", "c"]), c("c-3", "Einstein", [], [], "zh"), c("c-4", "Curie", [], [])]);
    assert.deepEqual(merged.map((m) => m.id), ["c-1", "c-3", "c-4"]);
    assert.deepEqual(merged[0]!.claims, ["a", "b", "c"]);
    assert.equal(merged[0]!.summary, "b c");
});
