// Runs every test/**/*.test.ts with node's built-in test runner (through tsx, so no build is needed).
// Node 20's `--test` does not expand globs itself, hence this script. Extra args filter by path substring.
import {readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import {spawnSync} from "node:child_process";

function walk(dir) {
    const out = [];
    for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) out.push(...walk(path));
        else if (name.endsWith(".test.ts")) out.push(path);
    }
    return out;
}

const filters = process.argv.slice(2);
const files = walk("test").filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
    console.error("no test files matched " + JSON.stringify(filters));
    process.exit(1);
}
// The emulated CUDA engine and its kernel tests (test/cuda, test/engine/cudaEmulated) are built
// here when out of date, not at install: a user who never runs the tests does not wait for them.
if (files.some((f) => f.includes("cuda") || f.includes("Cuda"))) {
    const build = spawnSync(process.execPath, ["scripts/build-cuda.mjs", "--emu-only"], {stdio: "inherit"});
    if (build.status !== 0) process.exit(build.status ?? 1);
}
// One file at a time: the machines have 2 cores and the model tests each use both.
const res = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files], {stdio: "inherit"});
process.exit(res.status ?? 1);
