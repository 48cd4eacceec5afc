import {test, after} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {characterSchema} from "../../src/characters/characterSchema.js";
import {generateEvalQuestions} from "../../src/eval/generateEvalQuestions.js";
import type {GenerationBackend} from "../../src/runtime/GenerationBackend.js";
import type {GenerateRequest} from "../../src/runtime/generationTypes.js";
import {GenerationPool} from "../../src/runtime/GenerationPool.js";
import {loadModel} from "../../src/runtime/loadModel.js";
import {openLlama} from "../../src/runtime/openLlama.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {fixtureRecipe} from "./evalFixtureRun.js";

const llama = await openLlama("cpu");
const model = await loadModel(llama, fixtureModel("qwen2", "q8_0"));
const pool = await GenerationPool.create(llama, model, {parallel: 1, contextSize: 512, threads: 1});
after(async () => { await pool.dispose(); await model.dispose(); });

// ~3,000 characters of Chinese prose each, many times what a 512-token context holds with two of them
const life = (who: string) => Array.from({length: 60}, (_, i) => `${who}在第${i + 1}年读书写字，走遍山川河流。`).join("");
const zh = [
    {id: "li", label: "李白", description: "唐代诗人", claims: ["出生：701年", "职业：诗人"], summary: life("李白")},
    {id: "sun", label: "孙悟空", description: "《西游记》中的猴王", claims: ["作者：吴承恩"], summary: life("孙悟空")}
].map((c) => characterSchema.parse({aliases: [], lang: "zh", category: "real person", source: "file", ...c}));

test("long Chinese profiles on a 512-token context: the evaluation's question prompts fit, and the log says what was cut", {timeout: 600_000}, async () => {
    const base = fixtureRecipe("fixture:qwen2-tiny-q8_0", {questions: 2});
    const recipe = {...base, characters: {...base.characters, max_profile_chars: 20000}};
    const maxTokens = recipe.generate.query_sampling.max_tokens;
    assert.ok(pool.textTokens(zh[0]!.summary) > 512, "one profile alone is longer than the context");
    // the real pool, counting each prompt it is given (it forwards the pool's token counts, so the
    // evaluation sees a backend that counts tokens, as in `ditto eval`)
    const prompts: number[] = [];
    const counting: GenerationBackend & Pick<GenerationPool, "contextSize" | "promptTokens" | "textTokens"> = {
        parallel: pool.parallel,
        get generatedTokens() { return pool.generatedTokens; },
        set generatedTokens(n: number) { pool.generatedTokens = n; },
        contextSize: pool.contextSize,
        promptTokens: (m) => pool.promptTokens(m),
        textTokens: (t) => pool.textTokens(t),
        generate: (r: GenerateRequest) => {
            prompts.push(pool.promptTokens(r.messages));
            return pool.generate(r);
        },
        lease: (fn) => pool.lease(fn),
        dispose: () => pool.dispose()
    };
    const log: string[] = [];
    const questions = await generateEvalQuestions({characters: zh, all: zh, pool: counting, recipe,
        path: join(mkdtempSync(join(tmpdir(), "ditto-evalfit-")), "questions.jsonl"), log: (l) => log.push(l)});
    assert.ok(prompts.length >= 2, `${prompts.length} prompts`);
    for (const p of prompts) assert.ok(p + maxTokens <= 512, `a prompt of ${p} tokens + ${maxTokens} to generate`);
    assert.deepEqual(new Set(questions.map((q) => q.asker)), new Set(["li", "sun"]));
    const cut = log.map((l) => /^(\d+) profile\(s\) cut by (\d+) tokens to fit the context$/.exec(l)).find((m) => m);
    assert.ok(cut, log.join("\n"));
    assert.equal(Number(cut[1]), 2);
    assert.ok(Number(cut[2]) > 1000, `cut ${cut[2]} tokens`);
});
