import {test} from "node:test";
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {resolveModelRef} from "../../src/models/resolveModelRef.js";
import {fixtureDir} from "../helpers/fixtureModel.js";

// Ctrl-C in the middle of generation: the user is told what is saved and the command that resumes.
test("Ctrl-C during generation names the saved records and the command that resumes", {timeout: 900_000}, async () => {
    const env = {...process.env, DITTO_MODELS: join(fixtureDir, "models"), DITTO_THREADS: "2"};
    resolveModelRef("fixture:qwen2-tiny-q8_0", {modelsDir: env.DITTO_MODELS});
    const run = join(mkdtempSync(join(tmpdir(), "ditto-interrupt-")), "run");
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "runCli.ts"), "generate", "--recipe", "tiny", "--run", run,
        "--progress", "log", "generate.sampling.max_tokens=24"], {env, stdio: ["ignore", "pipe", "pipe"]});
    let output = "";
    child.stdout.on("data", (d: Buffer) => { output += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const partial = join(run, "responses.jsonl.partial");
    const lines = () => existsSync(partial) ? readFileSync(partial, "utf8").split("\n").filter((l) => l.trim()).length : 0;
    let sent = false;
    const timer = setInterval(() => { if (!sent && lines() >= 2) { sent = true; child.kill("SIGINT"); } }, 100);
    const code = await exited;
    clearInterval(timer);
    assert.ok(sent, `the run ended before it could be interrupted\n${output}`);
    assert.equal(code, 130, output);
    assert.match(output, /interrupted: saved in \S+: responses\.jsonl\.partial \(\d+ records\)/);
    assert.match(output, new RegExp(`to resume: ditto generate --recipe tiny --run ${run.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} --progress log generate\\.sampling\\.max_tokens=24`));
    assert.ok(lines() >= 2, "the records made before Ctrl-C are on disk");
});
