import {test} from "node:test";
import assert from "node:assert/strict";
import {learningRate} from "../../src/train/learningRate.js";
import {resolveFinetuneOptions, finetuneDefaults} from "../../src/train/finetuneOptions.js";
import {DittoError} from "../../src/errors/DittoError.js";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test("linear warm-up, then cosine from lr to the floor at the last step", () => {
    const o = {lr: 1e-3, warmup: 4, schedule: "cosine" as const, minLrRatio: 0.1};
    const lrs = Array.from({length: 15}, (_, s) => learningRate(s, 15, o));
    close(lrs[0]!, 0.25e-3);
    close(lrs[3]!, 1e-3);
    close(lrs[4]!, 1e-3); // first cosine step is the peak
    close(lrs[14]!, 1e-4); // last step is the floor
    close(lrs[9]!, 0.55e-3); // halfway: (peak + floor) / 2
    for (let s = 4; s < 14; s++) assert.ok(lrs[s + 1]! < lrs[s]!, "cosine decreases");
});

test("warm-up as a fraction of all steps, and the constant schedule", () => {
    const o = {lr: 2e-4, warmup: 0.1, schedule: "constant" as const, minLrRatio: 0.1};
    close(learningRate(0, 100, o), 2e-5);
    close(learningRate(9, 100, o), 2e-4);
    close(learningRate(99, 100, o), 2e-4);
    close(learningRate(0, 5, {...o, warmup: 0}), 2e-4);
    close(learningRate(0, 1, {...o, schedule: "cosine", warmup: 0}), 2e-4 * 0.1);
});

test("options: every default in one place, and a bad value names its flag", () => {
    const o = resolveFinetuneOptions({modelPath: "m.gguf", dataPath: "d.jsonl", outDir: "out", rank: 8, lr: undefined});
    assert.equal(o.rank, 8);
    assert.equal(o.lr, finetuneDefaults.lr);
    assert.deepEqual(o.targets, ["q", "k", "v", "o", "gate", "up", "down"]);
    const bad: [Record<string, unknown>, RegExp][] = [
        [{rank: 0}, /--rank 0: must be a positive integer/],
        [{targets: ["q", "x"]}, /--targets q,x: must be a comma-separated list/],
        [{evalFraction: 1}, /--eval-fraction 1: must be in \[0, 1\)/],
        [{schedule: "linear"}, /--schedule linear: must be one of cosine, constant/],
        [{seqLen: 4}, /--seq-len 4/],
        [{warmup: 2.5}, /--warmup 2.5/]
    ];
    for (const [patch, pattern] of bad)
        assert.throws(() => resolveFinetuneOptions({modelPath: "m", dataPath: "d", outDir: "o", ...patch}),
            (e: unknown) => e instanceof DittoError && pattern.test(e.message) && !!e.hint?.startsWith("e.g. --"));
});
