import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join, resolve} from "node:path";
import {tmpdir} from "node:os";
import {writeTestRecipe} from "./testRecipe.js";

const cli = resolve("test/generate/runCli.ts");
const dir = mkdtempSync(join(tmpdir(), "ditto-cli-"));
const ditto = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", cli, ...args], {encoding: "utf8"});

test("ditto characters validate: each bad record as file:line: field: problem, exit 1", () => {
    const f = join(dir, "chars.jsonl");
    writeFileSync(f, JSON.stringify({label: "Ada", description: "m"}) + "\n" + JSON.stringify({label: "Bob"}) + "\n");
    const r = ditto("characters", "validate", f);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), `${f}:2: description: required`);
    assert.match(r.stdout, /1 valid character, 1 problem/);
});

test("ditto generate: a missing model, an unknown stage and a missing run are one clear error each", () => {
    const recipe = writeTestRecipe(dir);
    writeFileSync(recipe, readFileSync(recipe, "utf8").replace(/generator: .*/, "generator: no-such-model-q4"));
    const missing = ditto("generate", "--recipe", recipe, "--run", join(dir, "run"));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^error: model "no-such-model-q4" is not in the catalogue/);
    assert.match(missing.stderr, /\n {2}fix: /);
    assert.doesNotMatch(missing.stderr, /\n\s+at /, "no stack trace for a user error");
    const stage = ditto("generate", "--recipe", recipe, "--run", join(dir, "run"), "--from", "answers");
    assert.equal(stage.status, 1);
    assert.match(stage.stderr, /--from answers: no such stage/);
    const stats = ditto("dataset", "stats", join(dir, "nothing-here"));
    assert.equal(stats.status, 1);
    assert.match(stats.stderr, /dataset\.jsonl not found/);
});
