import {test} from "node:test";
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {makeFixtureRun} from "./evalFixtureRun.js";

type Ran = {code: number | null, signal: NodeJS.Signals | null, out: string, err: string};

/** Runs `ditto ARGS` from source; `until` may kill it early by returning true while it runs. */
function ditto(args: string[], until?: () => boolean): Promise<Ran> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", ...args], {stdio: ["ignore", "pipe", "pipe"]});
        let out = "", err = "";
        child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
        child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
        const poll = until ? setInterval(() => { if (until()) child.kill("SIGKILL"); }, 100) : undefined;
        child.on("exit", (code, signal) => { if (poll) clearInterval(poll); resolve({code, signal, out, err}); });
    });
}

function recipeFile(dir: string): string {
    const path = join(dir, "recipe.yaml");
    writeFileSync(path, [
        "# ditto eval --run RUN --recipe recipe.yaml",
        "name: eval-cli",
        `models: {generator: ${JSON.stringify(fixtureModel("qwen2", "q8_0"))}}`,
        "runtime: {gpu: cpu, threads: 2, parallel: 2, context_size: 2048}",
        "eval: {samples: 1, turns: 1, max_tokens: 12, judge_max_tokens: 24, judge_retries: 1}"
    ].join("\n") + "\n");
    return path;
}

const lines = (path: string) => existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((l) => l.trim()) : [];

test("ditto eval killed mid-judging (SIGKILL) resumes without re-judging finished turns", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ditto-eval-cli-"));
    const run = join(dir, "run");
    makeFixtureRun(run);
    const recipe = recipeFile(dir);
    const partial = join(run, "eval", "judgements.jsonl.partial");
    const killed = await ditto(["eval", "--run", run, "--recipe", recipe], () => lines(partial).length >= 2);
    assert.equal(killed.signal, "SIGKILL", `killed mid-run; stderr: ${killed.err}`);
    const before = lines(partial);
    assert.ok(before.length >= 2 && before.length < 6, `${before.length} judgements before the kill`);

    const resumed = await ditto(["eval", "--run", run, "--recipe", recipe, "--quiet"]);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, /wrote .*report\.html/);
    assert.match(resumed.out, /base +consistency \S+ +knowledge \S+ +rejection \S+ +\(2 turns, 0 judge failures\)/);
    const after = lines(join(run, "eval", "judgements.jsonl"));
    assert.equal(after.length, 2 * 3, "every turn judged once by each judge");
    for (const line of before) assert.ok(after.includes(line), "a judgement made before the kill is kept as it was, not redone");
    assert.ok(!existsSync(partial));

    // report alone, from the finished files
    const report = await ditto(["eval", "report", "--run", run, "--recipe", recipe]);
    assert.equal(report.code, 0, report.err);
    assert.match(report.out, /wrote .*report\.md/);
});

test("ditto eval: a leak and a malformed eval file are clear errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ditto-eval-cli-err-"));
    const recipe = recipeFile(dir);
    const leaky = join(dir, "leaky");
    makeFixtureRun(leaky, {leak: true});
    const leak = await ditto(["eval", "build", "--run", leaky, "--recipe", recipe]);
    assert.equal(leak.code, 1);
    assert.match(leak.err, /error: 2 leaks of held-out characters into the training data:\n {2}dataset\.jsonl:5: held-out character "Alan Turing"/);
    assert.match(leak.err, /fix: held-out characters/);

    const run = join(dir, "run");
    makeFixtureRun(run);
    const bad = join(dir, "wre.jsonl");
    writeFileSync(bad, JSON.stringify({system: "You are X.", prompts: ["q?"], role_consist_cands: ["[X] x", "[Y] y"], meta: {name: "X"}}) + "\n");
    const malformed = await ditto(["eval", "build", "--run", run, "--recipe", recipe, "--from", bad]);
    assert.equal(malformed.code, 1);
    assert.match(malformed.err, /error: .*wre\.jsonl:1: rejection_labels: missing/);

    const stage = await ditto(["eval", "rerun", "--run", run, "--recipe", recipe]);
    assert.equal(stage.code, 1);
    assert.match(stage.err, /unknown eval stage "rerun"/);
});
