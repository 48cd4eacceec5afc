import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {fixtureModel} from "../helpers/fixtureModel.js";

/** Runs `ditto ARGS` from source and returns its exit code and output. */
function ditto(args: string[], env: Record<string, string> = {}) {
    const res = spawnSync(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", ...args],
        {encoding: "utf8", env: {...process.env, DITTO_DEBUG: "", ...env}, timeout: 60_000});
    return {code: res.status, stdout: res.stdout, stderr: res.stderr};
}

/** A user error: exit 1, "error:" naming the problem, "fix:", and no stack trace. */
function assertUserError(r: ReturnType<typeof ditto>, problem: RegExp) {
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: /m);
    assert.match(r.stderr, /^ {2}fix: /m);
    assert.match(r.stderr, problem);
    assert.doesNotMatch(r.stderr, /^ {4}at /m, "no stack trace");
}

test("models inspect of a missing file: error and fix, no stack trace", () => {
    assertUserError(ditto(["models", "inspect", "/nonexistent.gguf"]), /\/nonexistent\.gguf: file not found/);
});

test("models inspect of a text file says it is not a GGUF", () => {
    const path = join(mkdtempSync(join(tmpdir(), "ditto-cli-")), "notes.gguf");
    writeFileSync(path, "hello\n");
    assertUserError(ditto(["models", "inspect", path]), /not a GGUF file/);
});

test("models pull with --offline (or DITTO_OFFLINE=1) refuses, naming the setting", () => {
    assertUserError(ditto(["models", "pull", "qwen2.5-0.5b-instruct-q8_0", "--offline"]), /--offline/);
    assertUserError(ditto(["models", "pull", "hf:a/b/c.gguf"], {DITTO_OFFLINE: "1"}), /DITTO_OFFLINE=1/);
});

test("a bad --threads value is a user error", () => {
    assertUserError(ditto(["doctor", "--threads", "many"]), /--threads many/);
});

test("models inspect --json describes a fixture", () => {
    const r = ditto(["models", "inspect", fixtureModel("qwen2", "q8_0"), "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as {architecture: string, layers: number, vocabSize: number, tensorTypes: Record<string, unknown>,
        chatTemplate: {wrapper: string, recognized: boolean}};
    assert.equal(info.architecture, "qwen2");
    assert.equal(info.layers, 2);
    assert.equal(info.vocabSize, 151936);
    assert.ok("Q8_0" in info.tensorTypes && "F32" in info.tensorTypes);
    assert.deepEqual([info.chatTemplate.wrapper, info.chatTemplate.recognized], ["ChatML", true]);
});

test("doctor --json reports the CPU backend and caps threads at the physical cores", () => {
    const r = ditto(["doctor", "--json", "--gpu", "cpu", "--threads", "999"]);
    const {checks} = JSON.parse(r.stdout) as {checks: {name: string, status: string, value: string}[]};
    // exit 1 exactly when a check failed (a machine without a GPU driver fails the gpu check)
    assert.equal(r.code, checks.some((c) => c.status === "fail") ? 1 : 0, r.stderr);
    const get = (name: string) => checks.find((c) => c.name === name)!;
    assert.match(get("llama.cpp backend").value, /^cpu /);
    assert.match(get("threads").value, /capped at the physical cores/);
    for (const name of ["node", "node-llama-cpp", "gpu", "memory", "models", "disk", "training engine", "network"]) assert.ok(get(name), name);
});
