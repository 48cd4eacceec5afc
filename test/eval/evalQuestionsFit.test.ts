import {test, after} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {characterSchema} from "../../src/characters/characterSchema.js";
import {renderProfile} from "../../src/characters/renderProfile.js";
import {generateEvalQuestions} from "../../src/eval/generateEvalQuestions.js";
import {judgeAnswers} from "../../src/eval/judgeAnswers.js";
import type {EvalSession} from "../../src/eval/evalSessionSchema.js";
import type {Judgement} from "../../src/eval/judgementSchema.js";
import {JsonlStore} from "../../src/runs/JsonlStore.js";
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

/** The real pool, counting each prompt it is given; it forwards the pool's token counts, so the evaluation sees a backend that counts tokens, as in `ditto eval`. */
function countingPool(prompts: number[]): GenerationBackend & Pick<GenerationPool, "contextSize" | "promptTokens" | "textTokens"> {
    return {
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
}

test("long Chinese profiles on a 512-token context: the evaluation's question prompts fit, and the log says what was cut", {timeout: 600_000}, async () => {
    const base = fixtureRecipe("fixture:qwen2-tiny-q8_0", {questions: 2});
    const recipe = {...base, characters: {...base.characters, max_profile_chars: 20000}};
    const maxTokens = recipe.generate.query_sampling.max_tokens;
    assert.ok(pool.textTokens(zh[0]!.summary) > 512, "one profile alone is longer than the context");
    const prompts: number[] = [];
    const counting = countingPool(prompts);
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

test("a long Chinese profile on a 512-token context: the knowledge judge's prompt fits, the other judges' are untouched", {timeout: 600_000}, async () => {
    const base = fixtureRecipe("fixture:qwen2-tiny-q8_0", {samples: 1, judge_retries: 0});
    const recipe = {...base, characters: {...base.characters, max_profile_chars: 20000}};
    const c = zh[0]!;
    const session: EvalSession = {id: "eval-li", character: c.id, label: c.label, lang: "zh", source: "run", system: "你是李白。",
        profile: "(the stored profile: the judge reads the character's, cut to fit)",
        turns: [{id: "eval-li-t0", question: "你最有名的诗是什么?", provenance: "own", gold: "answer", evidence: ["职业：诗人"],
            candidates: ["[李白] 唐代诗人", "[孙悟空] 《西游记》中的猴王"], truth: 0}]};
    const answer = {id: "base/eval-li-t0", variant: "base" as const, session: session.id, turn: "eval-li-t0", index: 0,
        question: session.turns[0]!.question, answer: "床前明月光。", finish: "stop" as const, tokens: 6};
    const prompts: number[] = [];
    const store = JsonlStore.open<Judgement>(join(mkdtempSync(join(tmpdir(), "ditto-judgefit-")), "judgements.jsonl"));
    const r = await judgeAnswers({sessions: [session], answers: [answer], judge: countingPool(prompts), store, recipe, characters: zh});
    assert.equal(r.judged, 3);
    assert.equal(prompts.length, 3, "one prompt per judge, no retries");
    for (const p of prompts) assert.ok(p + recipe.eval.judge_max_tokens <= 512, `a prompt of ${p} tokens + ${recipe.eval.judge_max_tokens} to judge`);
    assert.equal(r.trimmed.profiles, 1);
    assert.ok(r.trimmed.tokens > 500, `cut ${r.trimmed.tokens} tokens`);
    // the same judges without the characters read the stored profile as it is when it fits
    const plain = JsonlStore.open<Judgement>(join(mkdtempSync(join(tmpdir(), "ditto-judgefit-")), "judgements.jsonl"));
    assert.deepEqual((await judgeAnswers({sessions: [session], answers: [answer], judge: pool, store: plain, recipe})).trimmed, {profiles: 0, tokens: 0});
});

test("without the run's characters the knowledge judge cuts the eval set's stored whole profile in tokens to fit", {timeout: 600_000}, async () => {
    const base = fixtureRecipe("fixture:qwen2-tiny-q8_0", {samples: 1, judge_retries: 0});
    // a character cap far below the profile: the stored profile is whole, and the cut is the judge's, in tokens
    const recipe = {...base, characters: {...base.characters, max_profile_chars: 300}};
    const c = zh[0]!;
    const stored = renderProfile(c, Number.MAX_SAFE_INTEGER);
    assert.ok(pool.textTokens(stored) > 512, "the stored profile alone is longer than the context");
    const session: EvalSession = {id: "eval-li", character: c.id, label: c.label, lang: "zh", source: "run", system: "你是李白。", profile: stored,
        turns: [{id: "eval-li-t0", question: "你最有名的诗是什么?", provenance: "own", gold: "answer", evidence: ["职业：诗人"],
            candidates: ["[李白] 唐代诗人", "[孙悟空] 《西游记》中的猴王"], truth: 0}]};
    const answer = {id: "base/eval-li-t0", variant: "base" as const, session: session.id, turn: "eval-li-t0", index: 0,
        question: session.turns[0]!.question, answer: "床前明月光。", finish: "stop" as const, tokens: 6};
    const prompts: number[] = [];
    const store = JsonlStore.open<Judgement>(join(mkdtempSync(join(tmpdir(), "ditto-judgefit-")), "judgements.jsonl"));
    const r = await judgeAnswers({sessions: [session], answers: [answer], judge: countingPool(prompts), store, recipe});
    assert.equal(prompts.length, 3, "one prompt per judge, no retries");
    for (const p of prompts) assert.ok(p + recipe.eval.judge_max_tokens <= 512, `a prompt of ${p} tokens + ${recipe.eval.judge_max_tokens} to judge`);
    assert.equal(r.trimmed.profiles, 1);
    // filled to the context in tokens, far past what 300 characters would have kept
    const knowledge = Math.max(...prompts);
    assert.ok(knowledge + recipe.eval.judge_max_tokens > 400, `the knowledge judge's prompt holds ${knowledge} tokens`);
});
