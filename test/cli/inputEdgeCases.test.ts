import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync, mkdtempSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {main} from "../../src/cli/main.js";

// Inputs a new user hands the tool, run through the real CLI entry in this process.
async function ditto(...args: string[]): Promise<{code: number, output: string}> {
    let output = "";
    const saved = {log: console.log, error: console.error, write: process.stderr.write.bind(process.stderr)};
    console.log = (...a: unknown[]) => { output += a.join(" ") + "\n"; };
    console.error = (...a: unknown[]) => { output += a.join(" ") + "\n"; };
    process.stderr.write = ((chunk: string | Uint8Array) => { output += String(chunk); return true; }) as typeof process.stderr.write;
    try { await main(["node", "ditto", ...args]); } finally { Object.assign(console, {log: saved.log, error: saved.error}); process.stderr.write = saved.write; }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return {code, output};
}

const dir = mkdtempSync(join(tmpdir(), "ditto-inputs-"));
const file = (name: string, content: string | Buffer) => { const p = join(dir, name); writeFileSync(p, content); return p; };
const bom = "\ufeff";
const session = JSON.stringify({messages: [{role: "system", content: "You are Ada."}, {role: "user", content: "Hi"}, {role: "assistant", content: "Hello."}]});

test("a UTF-8 byte order mark is accepted in profiles and data sets", async () => {
    const profile = await ditto("characters", "validate", file("bom.jsonl", bom + JSON.stringify({label: "Ada Lovelace", description: "mathematician"}) + "\n"));
    assert.equal(profile.code, 0, profile.output);
    assert.match(profile.output, /1 valid character, 0 problems/);
    const yaml = await ditto("characters", "validate", file("bom.yaml", bom + "- label: Ada Lovelace\n  description: mathematician\n"));
    assert.equal(yaml.code, 0, yaml.output);
    const data = await ditto("dataset", "export", file("bom-dataset.jsonl", bom + session + "\n"), "--out", join(dir, "bom.sharegpt.jsonl"));
    assert.equal(data.code, 0, data.output);
    assert.match(data.output, /wrote 1 conversations/);
});

test("an empty profile file is an error; a profile longer than the model reads is a warning", async () => {
    const empty = await ditto("characters", "validate", file("empty.jsonl", ""));
    assert.equal(empty.code, 1, empty.output);
    assert.match(empty.output, /error: .*empty\.jsonl: the profile file is empty\n\s+fix: /);
    const long = await ditto("characters", "validate", file("long.jsonl", JSON.stringify({label: "Ada Lovelace", description: "x".repeat(7000)}) + "\n"));
    assert.equal(long.code, 0, long.output);
    assert.match(long.output, /warning: .*Ada Lovelace: profile of \d+ characters; the model sees the first 6000/);
});

test("recipes: YAML errors with line and column, binary files refused, override errors blamed on the command line", async () => {
    const syntax = await ditto("recipes", "validate", file("bad.yaml", "name: x\nseed: [1\n"));
    assert.equal(syntax.code, 1);
    assert.match(syntax.output, /bad\.yaml:\d+:\d+: \(top\): YAML syntax/);
    const binary = await ditto("recipes", "validate", file("binary.yaml", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 0xff, 0xfe])));
    assert.equal(binary.code, 1);
    assert.match(binary.output, /error: .*binary\.yaml is not a YAML recipe: it holds binary data/);
    const override = await ditto("recipes", "validate", "tiny", "train.lora.rnk=4");
    assert.equal(override.code, 1);
    assert.match(override.output, /command line: train\.lora\.rnk=4: .*unknown key "rnk" \(did you mean "rank"\?\)/);
    assert.doesNotMatch(override.output, /tiny\.yaml:\d+/, "the recipe file is not blamed for a command-line typo");
    const value = await ditto("recipes", "validate", "tiny", "train.lora.rank=abc");
    assert.match(value.output, /command line: train\.lora\.rank=abc: /);
});

test("a bad data set is reported before the model is read, and no output folder is made", async () => {
    const out = join(dir, "train-out");
    // the "model" is not a GGUF: if it were read first, its error would come instead of the data set's
    const r = await ditto("finetune", "--model", file("not-a-model.gguf", "not a model"), "--data", file("bad.jsonl", session + "\n{broken\n"), "--out", out);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /error: .*bad\.jsonl:2: not valid JSON/);
    assert.ok(!existsSync(out), "output folder made for a failed run");
});
