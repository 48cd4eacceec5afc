import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync, mkdtempSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {pathToFileURL} from "node:url";
import {computeReport} from "../../src/eval/computeReport.js";
import {renderReportHtml} from "../../src/eval/renderReportHtml.js";
import {renderReportMarkdown} from "../../src/eval/renderReportMarkdown.js";
import type {Answer} from "../../src/eval/answerSchema.js";
import type {EvalSession} from "../../src/eval/evalSessionSchema.js";
import {judgeKinds, type Judgement} from "../../src/eval/judgementSchema.js";

/** Two characters (en, zh) with two turns each, answered by both variants, judged with 2 samples; one failed sample. */
function fixtureReport() {
    const session = (id: string, label: string, lang: string): EvalSession => ({
        id, character: id, label, lang, system: `You are ${label}.`, profile: label, source: "run",
        turns: [0, 1].map((i) => ({id: `${id}-t${i}`, question: `q${i}`, provenance: i === 0 ? "own" as const : "partner" as const,
            gold: i === 0 ? "answer" as const : "refuse" as const, evidence: [], candidates: ["[A] a", "[B] b", "[C] c", "[D] d"], truth: 0}))
    });
    const sessions = [session("tur", "Alan <Turing> & co", "en"), session("lib", "李白", "zh")];
    const answers: Answer[] = [];
    const judgements: Judgement[] = [];
    for (const variant of ["base", "adapter"] as const) for (const s of sessions) s.turns.forEach((t, index) => {
        const a: Answer = {id: `${variant}/${t.id}`, variant, session: s.id, turn: t.id, index, question: t.question, answer: "x", finish: "stop", tokens: 1};
        answers.push(a);
        for (const kind of judgeKinds) for (let sample = 0; sample < 2; sample++) {
            const good = variant === "adapter";
            const value = kind === "consistency" ? (good ? 0 : sample) : kind === "knowledge" ? (good ? 7 : 4) : (good ? Number(index === 1) : 0);
            const failed = variant === "base" && kind === "knowledge" && sample === 1 && s.id === "tur";
            judgements.push({id: `${a.id}/${kind}/${sample}`, answer: a.id, variant, session: s.id, turn: t.id, kind, sample,
                ok: !failed, value: failed ? null : value, attempts: failed ? 3 : 1, raw: "{}", ...(failed ? {error: "cut"} : {})});
        }
    });
    return computeReport({run: "demo", sessions, answers, judgements, models: {base: "m.gguf", adapter: "adapter.gguf", judge: "m.gguf"},
        loss: [{step: 1, loss: 2.4}, {step: 2, loss: 2.0, eval_loss: 2.2}, {step: 3, loss: 1.7}, {step: 4, loss: 1.5, eval_loss: 1.8}]});
}

test("report numbers: turn-weighted per language and overall, majority rejection, mean knowledge, failures counted", () => {
    const r = fixtureReport();
    assert.equal(r.overall.metrics.adapter!.consistency, 1);
    assert.equal(r.overall.metrics.base!.consistency, 0.5, "one of two samples right on every turn");
    assert.equal(r.overall.metrics.adapter!.knowledge, 7);
    assert.equal(r.overall.metrics.base!.knowledge, 4);
    assert.equal(r.overall.metrics.adapter!.rejection, 1);
    assert.equal(r.overall.metrics.base!.rejection, 0.5, "never refuses: right on own questions only");
    assert.ok(Math.abs(r.overall.diff!.knowledge! - 3) < 1e-12);
    assert.equal(r.overall.metrics.base!.failures, 2);
    assert.equal(r.judgements.failures, 2);
    assert.equal(r.judgements.failuresByKind.knowledge, 2);
    assert.deepEqual(r.languages.map((l) => [l.lang, l.metrics.base!.turns]), [["en", 2], ["zh", 2]]);
    const md = renderReportMarkdown(r);
    assert.match(md, /\| \*\*all\*\* \| adapter - base \| \+0\.50 \| \+3\.00 \| \+0\.50 \| \| \|/);
});

const chromium = "/usr/bin/chromium";

test("report.html renders in headless Chromium: charts drawn, nothing fetched, no console errors", async (t) => {
    if (!existsSync(chromium)) {
        // CI installs it, so there its absence is a broken setup, not a reason to skip
        assert.ok(process.env.CI !== "true", `${chromium} not found under CI=true: the CI image must install chromium (.ci/apt-packages.txt)`);
        t.skip(`${chromium} not found: install Debian's chromium package (apt-get install -y chromium; CI does it from .ci/apt-packages.txt) to run the browser test`);
        return;
    }
    const {chromium: launcher} = await import("playwright-core");
    const dir = mkdtempSync(join(tmpdir(), "ditto-html-"));
    const file = join(dir, "report.html");
    writeFileSync(file, renderReportHtml(fixtureReport()));
    const browser = await launcher.launch({executablePath: chromium, headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]});
    try {
        const page = await browser.newPage();
        const errors: string[] = [];
        const requests: string[] = [];
        page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`console ${m.type()}: ${m.text()}`); });
        page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
        page.on("request", (r) => requests.push(r.url()));
        await page.goto(pathToFileURL(file).href, {waitUntil: "load"});
        assert.equal(await page.title(), "Evaluation of demo");
        const charts = await page.evaluate(() => ["chart-metrics", "chart-characters", "chart-loss"].map((id) => {
            const svg = document.getElementById(id);
            const box = svg?.getBoundingClientRect();
            return {id, shown: !!box && box.width > 100 && box.height > 100,
                bars: svg?.querySelectorAll("rect.bar").length ?? 0,
                points: svg?.querySelectorAll("circle.point").length ?? 0,
                lines: svg?.querySelectorAll("polyline").length ?? 0};
        }));
        for (const c of charts) assert.ok(c.shown, `${c.id} is drawn with a size`);
        assert.equal(charts[0]!.bars, 6, "3 metrics x 2 models");
        assert.equal(charts[1]!.points, 2, "one point per character");
        assert.equal(charts[2]!.lines, 2, "train and eval loss");
        // a bar's height follows its value: adapter consistency 1.0 is twice base's 0.5
        const heights = await page.evaluate(() => [...document.querySelectorAll("#chart-metrics rect.bar[data-metric=consistency]")]
            .map((r) => r.getBoundingClientRect().height));
        assert.ok(Math.abs(heights[1]! - 2 * heights[0]!) < 1, `bar heights ${heights}`);
        const text = await page.evaluate(() => document.body.innerText);
        assert.match(text, /Alan <Turing> & co/, "names are escaped, not parsed as markup");
        assert.match(text, /李白/);
        assert.deepEqual(requests, [pathToFileURL(file).href], "self-contained: nothing else is fetched");
        assert.deepEqual(errors, []);
    } finally {
        await browser.close();
    }
});
