import {test} from "node:test";
import assert from "node:assert/strict";
import {spawn, spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync, readdirSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {checkAdapter} from "../../src/adapter/checkAdapter.js";
import {runStatus} from "../../src/pipeline/runStatus.js";
import {resolveModelRef} from "../../src/models/resolveModelRef.js";
import {fixtureDir} from "../helpers/fixtureModel.js";

// `ditto train --recipe tiny` end to end, as a user runs it: through the CLI, in a child process,
// with the network cut off (a new network namespace) where this machine allows one.
const entry = join(import.meta.dirname, "..", "cli", "cliEntry.ts");
const env = {...process.env, DITTO_MODELS: join(fixtureDir, "models"), DITTO_THREADS: "2"};
const canUnshare = process.getuid?.() === 0 && spawnSync("unshare", ["-n", "true"]).status === 0;
const cmd = (run: string) => [...(canUnshare ? ["unshare", "-n", process.execPath] : [process.execPath]),
    "--import", "tsx", entry, "train", "--recipe", "tiny", "--run", run, "--progress", "log", "--offline",
    // one conversation at a time (the README's promise for --deterministic): llama.cpp's batched sums depend
    // on which sequences share a batch, so only sequential generation is bit-identical across a kill and resume
    "--deterministic",
    // smaller than the shipped demo, to keep CI short: same stages, fewer and shorter records
    "characters.count=6", "generate.queries_per_pair=2", "generate.samples=1", "generate.turns_per_session=2",
    "generate.sampling.max_tokens=24", "train.max_steps=6", "train.save_every=2", "eval.turns=2"];

function train(run: string): {status: number | null, output: string} {
    const [bin, ...args] = cmd(run);
    const r = spawnSync(bin!, args, {env, encoding: "utf8", timeout: 900_000});
    return {status: r.status, output: (r.stdout ?? "") + (r.stderr ?? "")};
}

/** Starts a run and SIGKILLs it as soon as `when` holds (polled), like a power cut. */
async function trainAndKill(run: string, when: () => boolean): Promise<boolean> {
    const [bin, ...args] = cmd(run);
    const child = spawn(bin!, args, {env, stdio: "ignore"});
    const exited = new Promise<void>((r) => child.on("exit", () => r()));
    let killed = false;
    const timer = setInterval(() => {
        if (!killed && when()) { killed = true; child.kill("SIGKILL"); }
    }, 50);
    await exited;
    clearInterval(timer);
    return killed;
}

const lines = (p: string) => existsSync(p) ? readFileSync(p, "utf8").split("\n").filter((l) => l.trim() !== "").length : 0;
const outputs = ["characters.jsonl", "pairs.jsonl", "queries.jsonl", "responses.jsonl", "sessions.jsonl", "dataset.jsonl", "rejected.jsonl",
    "train/loss.jsonl", "train/adapter.gguf", "eval/evalset.jsonl"];

test("ditto train --recipe tiny runs every stage offline, and a run killed mid-stage ends with the same outputs", {timeout: 1_800_000}, async (t) => {
    // CI runs as root with unshare: there a missing network cut-off is a broken setup, not a note
    assert.ok(canUnshare || process.env.CI !== "true", "unshare -n is not available under CI=true: the offline run would not prove it makes no network call");
    if (!canUnshare) t.diagnostic("unshare -n is not available here: running with --offline only, network not cut off");
    // the fixture model is made once, outside the timed runs
    resolveModelRef("fixture:qwen2-tiny-q8_0", {modelsDir: env.DITTO_MODELS});

    const whole = mkdtempSync(join(tmpdir(), "ditto-train-whole-"));
    const res = train(whole);
    assert.equal(res.status, 0, res.output);
    assert.match(res.output, /adapter\s+\S*adapter\.gguf/);
    assert.match(res.output, /report\s+\S*report\.html/);
    for (const f of outputs) assert.ok(existsSync(join(whole, f)), `${f} missing\n${res.output}`);
    assert.ok(lines(join(whole, "dataset.jsonl")) > 0, "empty data set");
    assert.ok(existsSync(join(whole, "train", "peft", "adapter_model.safetensors")));
    assert.ok(existsSync(join(whole, "eval", "report.json")));
    checkAdapter(join(whole, "train", "adapter.gguf"), resolveModelRef("fixture:qwen2-tiny-q8_0", {modelsDir: env.DITTO_MODELS}));
    assert.ok(runStatus(whole).stages.every((s) => s.status === "done"), JSON.stringify(runStatus(whole)));

    // killed once while answering and once while training, then finished
    const killedRun = mkdtempSync(join(tmpdir(), "ditto-train-killed-"));
    const k1 = await trainAndKill(killedRun, () => lines(join(killedRun, "responses.jsonl.partial")) >= 3);
    assert.ok(k1, "the run ended before it could be killed mid-responses");
    assert.ok(!existsSync(join(killedRun, "responses.jsonl")), "responses should not be final after a kill mid-stage");
    const ck = join(killedRun, "train", "checkpoints");
    const k2 = await trainAndKill(killedRun, () => existsSync(ck) && readdirSync(ck).some((d) => /^step-\d+$/.test(d)));
    assert.ok(k2, "the run ended before it could be killed mid-training");
    const again = train(killedRun);
    assert.equal(again.status, 0, again.output);

    // loss.jsonl carries wall-clock seconds: compare it without them
    const withoutClock = (text: string) => text.split("\n").filter(Boolean).map((l) => { const r = JSON.parse(l) as Record<string, unknown>; delete r.elapsed; return JSON.stringify(r); });
    for (const f of outputs) {
        if (f.endsWith("loss.jsonl")) {
            assert.deepEqual(withoutClock(readFileSync(join(killedRun, f), "utf8")), withoutClock(readFileSync(join(whole, f), "utf8")), `${f} differs`);
            continue;
        }
        const a = readFileSync(join(whole, f)), b = readFileSync(join(killedRun, f));
        assert.ok(a.equals(b), `${f} differs between the uninterrupted run and the killed-and-resumed run`);
    }
});
