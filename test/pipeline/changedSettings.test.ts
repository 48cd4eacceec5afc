import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {resolveModelRef} from "../../src/models/resolveModelRef.js";
import {fixtureDir} from "../helpers/fixtureModel.js";

// One finished tiny run, then what a user does next: the printed chat command, and reruns with
// changed settings. Each must either redo what the setting shapes (keeping the old output) or
// refuse naming the keys; none may print "done already" over a setting it did not use.
const entry = join(import.meta.dirname, "..", "cli", "cliEntry.ts");
const env = {...process.env, DITTO_MODELS: join(fixtureDir, "models"), DITTO_THREADS: "2"};
// smaller than the shipped demo, to keep the test short: same stages, fewer and shorter records
const small = ["characters.count=6", "generate.queries_per_pair=2", "generate.samples=1", "generate.turns_per_session=2",
    "generate.sampling.max_tokens=24", "generate.query_sampling.max_tokens=48", "generate.question_max_chars=40", "train.max_steps=4", "train.save_every=2",
    "eval.turns=2", "eval.samples=1", "eval.max_tokens=8", "eval.judge_max_tokens=16", "eval.judge_retries=0", "eval.questions=1", "eval.compare_base=false"];

function ditto(cwd: string, args: string[], input?: string): {status: number | null, output: string} {
    const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), entry, ...args], {cwd, env, input, encoding: "utf8", timeout: 1_800_000});
    return {status: r.status, output: (r.stdout ?? "") + (r.stderr ?? "")};
}
const train = (cwd: string, extra: string[]) => ditto(cwd, ["train", "--recipe", "tiny", "--run", "run", "--progress", "log", "--offline", ...small, ...extra]);
const rankOf = (trainJson: string) => (JSON.parse(readFileSync(trainJson, "utf8")) as {options: {rank: number}}).options.rank;

/** The words of a command line as a POSIX shell splits them (bare words and '...' quoting, as ditto prints them). */
function shellWords(line: string): string[] {
    return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
}

test("after a finished run: the printed chat command runs, a changed setting redoes its stage or is refused by name", {timeout: 3_600_000}, () => {
    resolveModelRef("fixture:qwen2-tiny-q8_0", {modelsDir: env.DITTO_MODELS});
    const cwd = mkdtempSync(join(tmpdir(), "ditto-settings-"));
    const run = join(cwd, "run");
    const first = train(cwd, []);
    assert.equal(first.status, 0, first.output);
    assert.equal(rankOf(join(run, "train", "train.json")), 8);

    // the next step train prints, run exactly as printed (from the same folder)
    const chatLine = first.output.split("\n").find((l) => /^\s+chat\s+ditto chat /.test(l));
    assert.ok(chatLine, first.output);
    const words = shellWords(chatLine.replace(/^\s+chat\s+/, ""));
    assert.equal(words[0], "ditto");
    const chat = ditto(cwd, words.slice(1), "/quit\n");
    assert.equal(chat.status, 0, `${chatLine}\n${chat.output}`);
    assert.doesNotMatch(chat.output, /error:/);
    assert.match(chat.output, /bye/);

    // the README's pattern: a training setting changed with --from finetune trains again
    const rank4 = train(cwd, ["--from", "finetune", "train.lora.rank=4"]);
    assert.equal(rank4.status, 0, rank4.output);
    assert.match(rank4.output, /train\.lora\.rank: 8 -> 4/);
    assert.doesNotMatch(rank4.output, /\[finetune\] done already/);
    assert.equal(rankOf(join(run, "train", "train.json")), 4);
    assert.equal(rankOf(join(run, "train.old-1", "train.json")), 8, "the rank-8 adapter is kept aside");
    assert.ok(existsSync(join(run, "eval.old-1", "report.json")), "the old adapter's evaluation is kept aside");
    assert.ok(existsSync(join(run, "eval", "report.json")), "the new adapter is evaluated");

    // the same settings again: nothing to redo
    const same = train(cwd, ["--until", "finetune", "train.lora.rank=4"]);
    assert.equal(same.status, 0, same.output);
    assert.match(same.output, /\[finetune\] done already/);
    assert.ok(!existsSync(join(run, "train.old-2")));

    // a changed evaluation setting evaluates again, the old evaluation kept
    const turns = train(cwd, ["--from", "eval", "train.lora.rank=4", "eval.turns=1"]);
    assert.equal(turns.status, 0, turns.output);
    assert.match(turns.output, /eval\.turns: 2 -> 1/);
    assert.ok(existsSync(join(run, "eval.old-2", "report.json")));

    // generated records cannot be redone in place: refused, naming the key and a new --run
    const samples = train(cwd, ["--from", "finetune", "train.lora.rank=4", "eval.turns=1", "generate.samples=2"]);
    assert.equal(samples.status, 1, samples.output);
    assert.match(samples.output, /error: .*generate\.samples: 1 -> 2/);
    assert.match(samples.output, /fix: .*--run/);
    // a filters change under --from finetune would train on a stale data set: refused with the command that redoes it
    const filters = train(cwd, ["--from", "finetune", "train.lora.rank=4", "eval.turns=1", "filters.min_chars=5"]);
    assert.equal(filters.status, 1, filters.output);
    assert.match(filters.output, /error: .*filters\.min_chars: 2 -> 5/);
    assert.match(filters.output, /fix: .*--from dataset/);
    for (const r of [samples, filters]) assert.doesNotMatch(r.output, /\n\s+at /, "no stack trace");
});
