import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {writeTinyDataset} from "./trainData.js";
import {ditto} from "./ditto.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-finetune-cli-"));
const data = join(dir, "dataset.jsonl");
writeTinyDataset(data, 4);
const model = fixtureModel("qwen2", "f16");

test("ditto finetune --show-mask prints a session with the trained tokens bracketed", async () => {
    const r = await ditto(["finetune", "--model", model, "--data", data, "--show-mask", "2"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dataset\.jsonl:2 \(s1\), chat template ChatML: \d+ tokens, \d+ trained/);
    assert.ok(r.stdout.includes("<|im_start|>assistant\n[[I sail the south sea and beyond.<|im_end|>]]"), r.stdout);
    assert.ok(r.stdout.includes("<|im_start|>user\nWhy?<|im_end|>\n<|im_start|>assistant\n[[The wind says so.<|im_end|>]]"), r.stdout);
});

test("ditto finetune user errors name the flag or file and the fix, without a stack", async () => {
    const cases: [string[], RegExp][] = [
        [["--rank", "0", "--out", join(dir, "a")], /--rank 0: must be a positive integer/],
        [["--lr", "fast", "--out", join(dir, "b")], /--lr fast is not a number/],
        [["--targets", "q,attn", "--out", join(dir, "c")], /--targets q,attn: must be a comma-separated list/],
        [["--precision", "fp16", "--out", join(dir, "e")], /--precision fp16: must be one of fp32, bf16/],
        [[], /--out is required to train/]
    ];
    for (const [extra, pattern] of cases) {
        const r = await ditto(["finetune", "--model", model, "--data", data, ...extra]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, pattern);
        assert.match(r.stderr, /^ {2}fix: /m);
        assert.doesNotMatch(r.stderr, /^ {4}at /m);
    }
    const missing = await ditto(["finetune", "--model", model, "--data", join(dir, "nope.jsonl"), "--show-mask"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.jsonl: dataset file not found/);
});
