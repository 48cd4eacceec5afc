import {test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync, spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readdirSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {fixtureModel} from "../helpers/fixtureModel.js";

// The engine's failure paths, driven through a small C++ program linked against the objects
// node-gyp built for the addon (the same code the addon runs).
const objects = "build/Release/obj.target/ditto_engine/native/src";
const exe = join(mkdtempSync(join(tmpdir(), "ditto-robust-")), "robustness_test");

test("build the failure-path driver", () => {
    assert.ok(existsSync(objects), `${objects} is missing: run npm run build:native`);
    const objs = readdirSync(objects).filter((f) => f.endsWith(".o")).map((f) => join(objects, f));
    execFileSync("g++", ["-std=c++17", "-O1", "-pthread", "-o", exe, "native/test/robustness_test.cpp", ...objs], {stdio: "inherit"});
});

test("an exception inside a thread-pool task reaches the caller and the pool keeps working", () => {
    const r = spawnSync(exe, ["threadpool"], {encoding: "utf8"});
    assert.equal(r.signal, null, `the driver died of ${r.signal} (std::terminate?): ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ok threadpool$/m);
});

test("out of memory names the size and the fix, and the engine trains on afterwards", () => {
    const r = spawnSync(exe, ["oom", fixtureModel("qwen2", "f16")], {encoding: "utf8"});
    assert.equal(r.signal, null, `the driver died of ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ok oom message: out of memory: .* could not allocate \d+\.\d\d GB .*--batch-size/m);
    assert.match(r.stdout, /^ok oom resumes$/m);
});
