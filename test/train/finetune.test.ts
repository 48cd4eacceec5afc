import {test, before, after} from "node:test";
import assert from "node:assert/strict";
import {existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {finetune} from "../../src/train/finetune.js";
import {ChatTokenizer} from "../../src/train/ChatTokenizer.js";
import {LossLog} from "../../src/train/LossLog.js";
import {readAdapterGguf} from "../../src/adapter/readAdapterGguf.js";
import {DittoError} from "../../src/errors/DittoError.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {FakeEngine} from "./FakeEngine.js";
import {writeTinyDataset} from "./trainData.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-finetune-"));
const dataPath = join(dir, "dataset.jsonl");
const modelPath = fixtureModel("qwen2", "f16");
let tokenizer: ChatTokenizer;
before(async () => { writeTinyDataset(dataPath); tokenizer = await ChatTokenizer.load(modelPath); });
after(async () => { await tokenizer.dispose(); });

const base = {modelPath, dataPath, seqLen: 64, batchSize: 2, gradAccum: 2, epochs: 4, lr: 0.05, warmup: 2, dropout: 0.1,
    evalFraction: 0.2, evalEvery: 3, saveEvery: 4, seed: 5, progress: "none" as const};
const withoutElapsed = (path: string) => LossLog.read(path).map(({elapsed: _elapsed, ...rest}) => rest);

test("finetune runs the loop: loss.jsonl every step, eval loss, checkpoints, adapter and PEFT out", async () => {
    const outDir = join(dir, "plain");
    const {open, engines} = FakeEngine.opener();
    const res = await finetune({...base, outDir}, {openEngine: open, tokenizer, log: () => {}});
    // 16 sessions: 3 held out, 13 packed into 64-token rows; 2 rows per micro-batch, 2 micro-batches per step.
    assert.equal(res.data.sessions, 16);
    assert.equal(res.data.heldOutStats.sessions, 3);
    const rows = res.data.trainStats.rows;
    const stepsPerEpoch = Math.ceil(Math.ceil(rows / 2) / 2);
    assert.equal(res.steps, 4 * stepsPerEpoch);
    const log = LossLog.read(res.lossLogPath);
    assert.equal(log.length, res.steps);
    assert.deepEqual(Object.keys(log[0]!), ["step", "epoch", "lr", "loss", "eval_loss", "grad_norm", "tokens", "elapsed"]);
    assert.deepEqual(log.map((r) => r.step), Array.from({length: res.steps}, (_, i) => i + 1));
    assert.equal(log[log.length - 1]!.epoch, 4);
    assert.ok(log.filter((r) => r.eval_loss !== null).length >= Math.floor(res.steps / 3));
    assert.notEqual(log[log.length - 1]!.eval_loss, null, "the last step always evaluates");
    assert.ok(log[log.length - 1]!.loss < log[0]!.loss, `loss falls: ${log[0]!.loss} -> ${log[log.length - 1]!.loss}`);
    // every session is trained once per epoch: the engine saw exactly the packed rows' targets
    const engine = engines[0]!;
    const seen = engine.batchesSeen.reduce((n, b) => n + b.targets.filter((t) => t >= 0).length, 0);
    assert.equal(seen, 4 * res.data.trainStats.targetTokens);
    // checkpoints: the newest 3 of every 4 steps are kept; adapter and PEFT written
    const kept = readdirSync(join(outDir, "checkpoints")).sort();
    assert.ok(kept.length <= 3 && kept.every((n) => /^step-\d+$/.test(n)), kept.join());
    assert.deepEqual(readdirSync(join(outDir, "checkpoints", kept[0]!)).sort(), ["m.f32", "state.json", "v.f32", "weights.f32"]);
    assert.equal(readAdapterGguf(res.adapterPath).pairs.length, 1);
    assert.ok(existsSync(join(res.peftDir, "adapter_model.safetensors")));
    assert.ok(existsSync(join(outDir, "train.json")));
});

test("a killed run resumes from its last checkpoint and its loss curve equals the uninterrupted run's", async () => {
    const straight = join(dir, "straight"), killed = join(dir, "killed");
    const quiet = {log: () => {}, tokenizer};
    const a = await finetune({...base, outDir: straight}, {...quiet, openEngine: FakeEngine.opener().open});
    // Die on the 13th micro-batch: after the checkpoint at step 4 and a few logged steps past it.
    await assert.rejects(finetune({...base, outDir: killed}, {...quiet, openEngine: FakeEngine.opener(13).open}), /simulated crash/);
    const logged = LossLog.read(join(killed, "loss.jsonl")).length;
    assert.ok(logged > 4 && logged < a.steps, `crashed after step ${logged}`);
    const notes: string[] = [];
    const b = await finetune({...base, outDir: killed, resume: true, lr: 1}, {tokenizer, log: (l) => notes.push(l), openEngine: FakeEngine.opener().open});
    assert.equal(b.startStep, 4);
    assert.ok(notes.some((n) => /resuming from .*step-4/.test(n)));
    assert.ok(notes.some((n) => /checkpoint's lr/.test(n)), "a changed option is reported, not applied");
    assert.deepEqual(withoutElapsed(join(killed, "loss.jsonl")), withoutElapsed(join(straight, "loss.jsonl")));
    assert.ok(readFileSync(a.adapterPath).equals(readFileSync(b.adapterPath)), "same adapter bytes");
});

test("a stop request (Ctrl-C) checkpoints the current step; --resume continues it exactly", async () => {
    const stopped = join(dir, "stopped");
    const stop = new AbortController();
    await assert.rejects(finetune({...base, outDir: stopped, saveEvery: 0}, {tokenizer, log: () => {}, openEngine: FakeEngine.opener().open, signal: stop.signal,
        onStep: (r) => { if (r.step === 5) stop.abort(); }}),
    (e: unknown) => e instanceof DittoError && e.code === "TRAIN_INTERRUPTED" && /step 5 of/.test(e.message) && /--resume/.test(e.hint!));
    assert.deepEqual(readdirSync(join(stopped, "checkpoints")), ["step-5"]);
    await finetune({...base, outDir: stopped, saveEvery: 0, resume: true}, {tokenizer, log: () => {}, openEngine: FakeEngine.opener().open});
    const straight = join(dir, "straight-nosave");
    await finetune({...base, outDir: straight, saveEvery: 0}, {tokenizer, log: () => {}, openEngine: FakeEngine.opener().open});
    assert.deepEqual(withoutElapsed(join(stopped, "loss.jsonl")), withoutElapsed(join(straight, "loss.jsonl")));
});

test("user errors: an existing run without --resume, a changed data set on resume", async () => {
    const outDir = join(dir, "plain");
    await assert.rejects(finetune({...base, outDir}, {tokenizer, openEngine: FakeEngine.opener().open, log: () => {}}),
        (e: unknown) => e instanceof DittoError && e.code === "TRAIN_OUT_EXISTS" && /--resume/.test(e.hint!));
    const changed = join(dir, "changed.jsonl");
    writeTinyDataset(changed, 15);
    const killed = join(dir, "killed2");
    await assert.rejects(finetune({...base, outDir: killed}, {tokenizer, log: () => {}, openEngine: FakeEngine.opener(9).open}), /simulated crash/);
    await assert.rejects(finetune({...base, dataPath: changed, outDir: killed, resume: true}, {tokenizer, log: () => {}, openEngine: FakeEngine.opener().open}),
        (e: unknown) => e instanceof DittoError && e.code === "TRAIN_DATA_CHANGED" && e.message.includes(changed));
    writeFileSync(join(dir, "long.jsonl"), JSON.stringify({messages: [{role: "user", content: "hi ".repeat(100)}, {role: "assistant", content: "ok"}]}) + "\n");
    await assert.rejects(finetune({...base, dataPath: join(dir, "long.jsonl"), outDir: join(dir, "long"), evalFraction: 0}, {tokenizer, log: () => {}, openEngine: FakeEngine.opener().open}),
        (e: unknown) => e instanceof DittoError && e.code === "TRAIN_NO_DATA");
});

test("before the first step: the memory plan and the tokens to train; after it, an ETA", async () => {
    const lines: string[] = [];
    const res = await finetune({...base, outDir: join(dir, "told"), progress: "log", epochs: 30}, {openEngine: FakeEngine.opener().open, tokenizer, log: (l) => lines.push(l)});
    const plan = lines.findIndex((l) => /^plan: weights [\d.]+ GB, LoRA state [\d.]+ GB, activations [\d.]+ GB \(recompute 0 of 2 layers\), peak [\d.]+ GB of [\d.]+ GB free$/.test(l));
    const tokens = lines.findIndex((l) => l === `training: ${(res.data.trainStats.tokens * 30).toLocaleString("en-US")} tokens in ${res.steps} steps ` +
        `(${res.data.trainStats.tokens.toLocaleString("en-US")} tokens per epoch)`);
    const first = lines.findIndex((l) => new RegExp(`^step 1/${res.steps} loss [\\d.]+ [\\d.]+ tok/s ETA \\d+s$`).test(l));
    assert.ok(plan >= 0 && tokens > plan && first > tokens, lines.join("\n"));
    assert.ok(res.steps / 20 > 1, "the first step is not one of the every-5% lines anyway");
    assert.ok(!lines.some((l) => /on the CPU: about/.test(l)), "no long-run warning for a tiny model");
});
