import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {evaluateRun} from "../../src/eval/evaluateRun.js";
import {judgeKinds, type Judgement} from "../../src/eval/judgementSchema.js";
import type {EvalReport} from "../../src/eval/reportTypes.js";
import type {EvalSession} from "../../src/eval/evalSessionSchema.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {fixtureRecipe, heldOutIds, makeFixtureAdapter, makeFixtureRun} from "./evalFixtureRun.js";

const readJsonl = <T>(path: string): T[] => readFileSync(path, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
const model = fixtureModel("qwen2", "q8_0");

test("whole evaluation on the tiny model: held-out set, base and adapter answers, every turn judged, report files", async () => {
    const run = mkdtempSync(join(tmpdir(), "ditto-eval-"));
    makeFixtureRun(run);
    makeFixtureAdapter(join(run, "train", "adapter.gguf"));
    const res = await evaluateRun({recipe: fixtureRecipe(model), runDir: run});

    const sessions = readJsonl<EvalSession>(join(run, "eval", "evalset.jsonl"));
    assert.deepEqual(sessions.map((s) => s.character).sort(), [...heldOutIds].sort(), "only held-out characters");
    for (const s of sessions) {
        assert.equal(s.turns.length, 2);
        assert.match(s.system, /^You are /);
        for (const t of s.turns) {
            assert.equal(t.candidates.length, 4);
            assert.match(t.candidates[t.truth]!, new RegExp(`^\\[${s.label}\\] `));
            assert.equal(t.gold, t.provenance === "own" ? "answer" : "refuse");
            assert.ok(t.evidence.length > 0);
        }
    }
    const turns = sessions.reduce((a, s) => a + s.turns.length, 0);
    const answers = readJsonl<{id: string, variant: string}>(join(run, "eval", "answers.jsonl"));
    assert.equal(answers.length, 2 * turns, "base and adapter answer every turn");
    assert.equal(res.answered, 2 * turns);
    const judgements = readJsonl<Judgement>(join(run, "eval", "judgements.jsonl"));
    for (const a of answers) for (const kind of judgeKinds)
        assert.equal(judgements.filter((j) => j.answer === a.id && j.kind === kind).length, 1, `${a.id} ${kind}`);
    assert.equal(res.judged, judgements.length);

    const report = JSON.parse(readFileSync(join(run, "eval", "report.json"), "utf8")) as EvalReport;
    assert.deepEqual(report.variants, ["base", "adapter"]);
    assert.equal(report.overall.metrics.base!.turns, turns);
    assert.equal(report.overall.metrics.adapter!.turns, turns);
    assert.ok(report.overall.diff, "adapter - base difference");
    assert.deepEqual(report.languages.map((l) => l.lang), ["en", "zh"]);
    assert.equal(report.languages.reduce((a, l) => a + l.metrics.base!.turns, 0), turns, "languages partition the turns");
    assert.equal(report.characters.length, 2);
    assert.equal(report.loss?.length, 4);
    assert.equal(report.judgements.total, judgements.length);
    assert.equal(report.models.adapter, "adapter.gguf");
    const md = readFileSync(join(run, "eval", "report.md"), "utf8");
    assert.match(md, /\| \*\*all\*\* \| adapter - base \|/);
    const html = readFileSync(join(run, "eval", "report.html"), "utf8");
    for (const id of ["chart-metrics", "chart-characters", "chart-loss"]) assert.ok(html.includes(`id="${id}"`), id);

    // a retrained adapter (a new file): its answers and their judgements are redone, the base model's kept
    await new Promise((r) => setTimeout(r, 20));
    makeFixtureAdapter(join(run, "train", "adapter.gguf"));
    const again = await evaluateRun({recipe: fixtureRecipe(model), runDir: run});
    assert.equal(again.answered, turns, "only the adapter answers again");
    assert.equal(again.judged, turns * judgeKinds.length);
    assert.equal(readJsonl<unknown>(join(run, "eval", "judgements.jsonl")).length, judgements.length);
});

test("a killed evaluation resumes without re-judging finished turns", async () => {
    const run = mkdtempSync(join(tmpdir(), "ditto-eval-resume-"));
    makeFixtureRun(run);
    const recipe = fixtureRecipe(model, {turns: 1});
    const stop = new AbortController();
    const first: Judgement[] = [];
    const res1 = await evaluateRun({recipe, runDir: run, adapterPath: null, signal: stop.signal,
        onJudgement: (j) => { first.push(j); if (first.length === 3) stop.abort(); }});
    assert.equal(res1.aborted, true);
    assert.equal(res1.report, undefined);
    assert.ok(existsSync(join(run, "eval", "judgements.jsonl.partial")), "judgements so far kept in the partial file");
    assert.ok(!existsSync(join(run, "eval", "judgements.jsonl")));
    const kept = readJsonl<Judgement>(join(run, "eval", "judgements.jsonl.partial"));
    assert.ok(kept.length >= 3);

    const redone: string[] = [];
    const res2 = await evaluateRun({recipe, runDir: run, adapterPath: null, onJudgement: (j) => redone.push(j.id)});
    assert.equal(res2.answered, 0, "answers are not redone");
    assert.equal(res2.skipped, kept.length, "finished judgements are skipped");
    for (const j of kept) assert.ok(!redone.includes(j.id), `${j.id} judged again`);
    const all = readJsonl<Judgement>(join(run, "eval", "judgements.jsonl"));
    const answers = readJsonl<unknown>(join(run, "eval", "answers.jsonl"));
    assert.equal(all.length, answers.length * judgeKinds.length);
    for (const j of kept) assert.deepEqual(all.find((x) => x.id === j.id), j, "kept judgement unchanged");
    assert.ok(res2.report);
});

test("a judge (a separate model) that returns nothing valid within its retries is recorded as a failure and counted in the report", async () => {
    const run = mkdtempSync(join(tmpdir(), "ditto-eval-fail-"));
    makeFixtureRun(run);
    // 3 tokens cannot hold {"score": N}: every judge output is cut
    const recipe = fixtureRecipe(model, {judge_max_tokens: 3, judge_retries: 1, turns: 1});
    // a separate judge model (the f16 fixture) instead of the model under test
    const res = await evaluateRun({recipe, runDir: run, adapterPath: null, judge: fixtureModel("qwen2", "f16")});
    assert.match(res.report!.models.judge ?? "", /tiny-qwen2-f16/);
    const judgements = readJsonl<Judgement>(join(run, "eval", "judgements.jsonl"));
    assert.equal(judgements.length, 2 * 3, "one judgement per turn and judge, none dropped");
    for (const j of judgements) {
        assert.equal(j.ok, false);
        assert.equal(j.value, null);
        assert.equal(j.attempts, 2);
        assert.match(j.error ?? "", /judge_max_tokens/);
    }
    assert.equal(res.report!.judgements.failures, 6);
    assert.equal(res.report!.overall.metrics.base!.failures, 6);
    assert.equal(res.report!.overall.metrics.base!.knowledge, null);
    assert.match(readFileSync(join(run, "eval", "report.md"), "utf8"), /failures \(no valid output within the retries\): 6/);
});

test("held-out characters without pipeline queries get questions written for them (template fallback when the model writes nothing valid)", async () => {
    const run = mkdtempSync(join(tmpdir(), "ditto-eval-questions-"));
    makeFixtureRun(run, {heldOutQueries: false});
    const res = await evaluateRun({recipe: fixtureRecipe(model, {questions: 2}), runDir: run, stages: ["build"]});
    assert.equal(res.report, undefined);
    const questions = readJsonl<{asker: string, provenance: string, origin: string}>(join(run, "eval", "questions.jsonl"));
    for (const id of heldOutIds) {
        assert.ok(questions.some((q) => q.asker === id && q.provenance === "own"), `${id} own`);
        assert.ok(questions.some((q) => q.asker === id && q.provenance === "partner"), `${id} partner`);
    }
    const sessions = readJsonl<EvalSession>(join(run, "eval", "evalset.jsonl"));
    assert.equal(sessions.length, 2);
    for (const s of sessions) assert.deepEqual(s.turns.map((t) => t.provenance).sort(), ["own", "partner"]);
    assert.ok(questions.every((q) => q.origin === "template" || q.origin === "model"));
});

test("evaluation on an imported WikiRoleEval file; a later `ditto eval` keeps the imported set", async () => {
    const run = mkdtempSync(join(tmpdir(), "ditto-eval-import-"));
    makeFixtureRun(run);
    const file = join(run, "wre.jsonl");
    writeFileSync(file, JSON.stringify({system: "You are Grace Hopper, a computer scientist.", prompts: ["What is COBOL?", "Who won at Austerlitz?"],
        role_consist_cands: ["[Grace Hopper] a computer scientist", "[Napoleon] an emperor"], rejection_labels: [0, 1],
        evidence: ["known for: COBOL"], meta: {name: "Grace Hopper", lang: "en"}}) + "\n");
    const recipe = fixtureRecipe(model);
    const res = await evaluateRun({recipe, runDir: run, adapterPath: null, evalFile: file});
    assert.equal(res.answered, 2);
    assert.equal(res.judged, 6);
    assert.deepEqual(res.report!.characters.map((c) => c.label), ["Grace Hopper"]);
    const again = await evaluateRun({recipe, runDir: run, adapterPath: null});
    assert.equal(again.answered, 0, "same set, nothing to answer again");
    assert.equal(again.judged, 0);
    assert.equal(readJsonl<EvalSession>(join(run, "eval", "evalset.jsonl"))[0]!.source, "wikiroleeval");
});
