// The CUDA kernel tests of native/cuda/test, run on the CPU: the kernels compiled as host C++
// through the emulator (build/Release/cuda_kernel_tests_emu, built here when out of date by
// scripts/build-cuda.mjs). Every KERNEL_TEST in the sources must report "ok"; a compile error
// fails. Without a C++ compiler the test is skipped, except under CI=true.
import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {readFileSync, readdirSync} from "node:fs";
import {join} from "node:path";

const root = join(import.meta.dirname, "..", "..");
const testDir = join(root, "native", "cuda", "test");
const program = join(root, "build", "Release", "cuda_kernel_tests_emu");

function registeredTests(): string[] {
    const names: string[] = [];
    for (const file of readdirSync(testDir).filter((f) => f.endsWith(".cu")).sort()) {
        for (const m of readFileSync(join(testDir, file), "utf8").matchAll(/^\s*KERNEL_TEST\((\w+)\)/gm)) names.push(m[1]!);
    }
    return names;
}

function build(): {ok: true} | {ok: false; noCompiler: boolean; output: string} {
    const res = spawnSync(process.execPath, [join(root, "scripts", "build-cuda.mjs"), "--emu-only"], {
        cwd: root,
        encoding: "utf8",
        env: {...process.env, DITTO_EMU_SANITIZE: ""},  // the plain build, whatever the caller's environment
    });
    if (res.status === 0) return {ok: true};
    const output = `${res.stdout ?? ""}${res.stderr ?? ""}${res.error ? String(res.error) : ""}`;
    return {ok: false, noCompiler: /spawn \S+ ENOENT/.test(output), output};
}

test("CUDA kernels, emulated on the CPU, match their host references", (t) => {
    const built = build();
    if (!built.ok) {
        if (built.noCompiler && process.env.CI !== "true") {
            t.skip(`no C++ compiler to build the emulated CUDA kernels: ${built.output.trim()}`);
            return;
        }
        assert.fail(`building the emulated CUDA kernels failed:\n${built.output}`);
    }
    const names = registeredTests();
    assert.ok(names.length > 0, `no KERNEL_TEST in ${testDir}`);
    const res = spawnSync(program, [], {cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024});
    const output = `${res.stdout ?? ""}${res.stderr ?? ""}`;
    const passed = new Set([...output.matchAll(/^ok (\w+)$/gm)].map((m) => m[1]!));
    const missing = names.filter((n) => !passed.has(n));
    assert.equal(res.status, 0, `cuda_kernel_tests_emu exited with ${res.status ?? res.signal}:\n${output}`);
    assert.match(output, /^\d+ passed, 0 failed$/m, output);
    assert.deepEqual(missing, [], `tests without an "ok" line:\n${output}`);
});
