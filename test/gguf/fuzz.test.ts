import {test} from "node:test";
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {ggmlTensorBytes} from "../../src/gguf/ggufTypes.js";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import {randomPairs} from "../adapter/randomPairs.js";
import {writeFuzzBaseModel} from "./fuzzBaseModel.js";
import {ggufLayout} from "./ggufLayout.js";
import {ggufMutations} from "./ggufMutations.js";

type Line = {file?: string, reader?: string, outcome?: "ok" | "named" | "unnamed", detail?: string, done?: boolean};

/** Runs the readers over the corpus in one child process; resolves with its lines, whatever its end. */
function runChild(dir: string, base: string, adapter: string, timeoutMs: number): Promise<{lines: Line[], code: number | null, signal: string | null, stderr: string}> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fuzzChild.ts"), dir, base, adapter], {stdio: ["ignore", "pipe", "pipe"]});
        let out = "", stderr = "";
        child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
        child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({lines: out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line), code, signal, stderr});
        });
    });
}

test("hundreds of damaged GGUF files: every reader ends in a named error or accepts, none crashes or hangs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ditto-gguf-fuzz-"));
    const base = join(dir, "base.model");
    writeFuzzBaseModel(base);
    const adapter = join(dir, "adapter.lora");
    writeAdapterGguf(randomPairs("qwen2", 2, {targets: ["q", "v"]}), {arch: "qwen2", alpha: 4}, adapter);
    const bytes = readFileSync(base);
    const mutations = ggufMutations(bytes, ggufLayout(bytes, ggmlTensorBytes), 11);
    assert.ok(mutations.length >= 300, `${mutations.length} mutations`);
    for (const m of mutations) writeFileSync(join(dir, `${m.id}.gguf`), m.bytes);
    writeFileSync(join(dir, "unchanged.gguf"), bytes);

    const {lines, code, signal, stderr} = await runChild(dir, base, adapter, 300_000);
    const started = lines.filter((l) => l.reader === "start");
    const lastStarted = started.at(-1)?.file;
    const what = (file: string | undefined) => mutations.find((m) => `${m.id}.gguf` === file)?.what ?? file;
    assert.ok(lines.at(-1)?.done, `the reader process ended (code ${code}, signal ${signal}) while reading ${lastStarted} ` +
        `(${what(lastStarted)}): a crash or a hang\n${stderr.slice(-2000)}`);
    assert.equal(started.length, mutations.length + 1);

    const results = lines.filter((l) => l.outcome);
    const unnamed = results.filter((l) => l.outcome === "unnamed");
    assert.deepEqual(unnamed.map((l) => `${l.file} (${what(l.file)}) ${l.reader}: ${l.detail}`), []);
    // the untouched file passes everywhere, so "named" below is the damage and not the harness
    assert.deepEqual(results.filter((l) => l.file === "unchanged.gguf").map((l) => `${l.reader} ${l.outcome}`),
        ["reader ok", "inspect ok", "engine ok", "checkModel ok", "checkAdapter named"]);
    const rejectAll = mutations.filter((m) => m.mustReject);
    assert.ok(rejectAll.some((m) => /general\.alignment\) 32 -> 0$/.test(m.what)), "alignment 0 is in the corpus");
    const accepted = results.filter((l) => l.outcome === "ok" && rejectAll.some((m) => `${m.id}.gguf` === l.file) && l.reader !== "checkAdapter");
    assert.deepEqual(accepted.map((l) => `${l.file} (${what(l.file)}) accepted by ${l.reader}`), []);
    const named = results.filter((l) => l.outcome === "named").length;
    assert.ok(named > results.length / 2, `${named} of ${results.length} reads were refused`);
});
