// The engine's float matrix products (its own AVX-512F, AVX2/FMA and portable kernels, several
// blocking paths, weights decoded from F32/F16/BF16/Q8_0, Q4_0/Q4_1/Q5_0/Q5_1 and Q4_K/Q5_K/Q6_K inside the products) against
// double loops, natively, on every kernel this CPU supports; and the kernel choice itself.
import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {readFileSync} from "node:fs";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";

/** Flags the kernel reports for this CPU (x86-64 Linux; empty elsewhere). */
function cpuFlags(): Set<string> {
    let flags = new Set<string>();
    try {
        const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
        flags = new Set(line?.split(":")[1]?.trim().split(/\s+/) ?? []);
    } catch { /* not Linux */ }
    return flags;
}

/** Kernels this CPU can run (portable only where the flags are unknown). */
function cpuKernels(): string[] {
    const flags = cpuFlags();
    const avx2 = flags.has("avx2") && flags.has("fma") && flags.has("f16c");
    return ["portable", ...(avx2 ? ["avx2"] : []), ...(avx2 && flags.has("avx512f") ? ["avx512f"] : [])];
}

/** gemmKernel() in a fresh process with the given environment. */
function kernelWith(env: Record<string, string>): {kernel: string, stderr: string} {
    const code = `import {loadNativeAddon} from "./src/engine/loadNativeAddon.ts"; process.stdout.write(loadNativeAddon().gemmKernel());`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {encoding: "utf8", env: {...process.env, ...env}});
    assert.equal(r.status, 0, r.stderr);
    return {kernel: r.stdout, stderr: r.stderr};
}

test("float matrix products agree with double loops on every path, with every kernel this CPU has", () => {
    const {worst, report} = loadNativeAddon().selftestGemm();
    console.log(report + `worst ${worst.toExponential(3)}`);
    // measured: ~8e-7 (float rounding over K <= 600); a wrong tile edge or decode gives > 1e-2
    assert.ok(worst < 1e-5, report);
    const kernels = cpuKernels();
    for (const kernel of kernels) {
        // a full pass with the CPU's blocks and one with small blocks, each over all encodings
        const lines = report.split("\n").filter((l) => l.startsWith(`${kernel} (`));
        assert.equal(lines.length, 2 * (1 + 11), `${kernel}: ${lines.length} report lines\n${report}`);
    }
    // the bf16 weight products: on the bf16-rounded operands only the fp32 accumulation differs
    // (in worst above); on the fp32 operands the difference is bf16 rounding (unit roundoff
    // u = 2^-8; measured 1.5e-3..2.2e-3): far below u/8 the operands were not rounded, above u
    // they were rounded wrong
    const bf16 = kernels.includes("avx512f") && cpuFlags().has("avx512_bf16");
    const bf16Lines = report.split("\n").filter((l) => l.startsWith("avx512bf16 ("));
    assert.equal(bf16Lines.length, bf16 ? 2 * 2 : 0, report);
    for (const line of bf16Lines) {
        const rounding = Number(/, ([\d.e+-]+) vs fp32 operands$/.exec(line)?.[1]);
        assert.ok(rounding > 2 ** -8 / 8 && rounding < 2 ** -8, line);
    }
    const skipped = [...["avx512f", "avx2"].filter((k) => !kernels.includes(k)), ...(bf16 ? [] : ["avx512bf16"])];
    assert.match(report, new RegExp(`kernels skipped \\(this CPU lacks them\\): ${skipped.length ? skipped.join(", ") : "none"}\n`));
    // training uses the widest kernel the CPU has, unless DITTO_GEMM_KERNEL names another it has
    const forced = process.env.DITTO_GEMM_KERNEL;
    const expected = forced && kernels.includes(forced) ? forced : kernels.at(-1)!;
    assert.match(report, new RegExp(`training uses: ${expected}\n`));
    assert.equal(loadNativeAddon().gemmKernel(), expected);
});

test("DITTO_GEMM_KERNEL forces a kernel the CPU has, and warns about one it lacks", () => {
    const kernels = cpuKernels();
    for (const kernel of kernels) assert.equal(kernelWith({DITTO_GEMM_KERNEL: kernel}).kernel, kernel);
    const bad = kernelWith({DITTO_GEMM_KERNEL: "avx1024"});
    assert.equal(bad.kernel, kernels.at(-1));
    assert.match(bad.stderr, /DITTO_GEMM_KERNEL=avx1024 is not one of portable, avx2, avx512f; using /);
});

test("ditto doctor names the kernel training will use", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "doctor", "--json", "--gpu", "cpu"],
        {encoding: "utf8", env: {...process.env, DITTO_GEMM_KERNEL: "portable"}, timeout: 120_000});
    const {checks} = JSON.parse(r.stdout) as {checks: {name: string, status: string, value: string}[]};
    const row = checks.find((c) => c.name === "training kernel");
    assert.ok(row, r.stdout);
    assert.match(row.value, /^portable \(.*DITTO_GEMM_KERNEL=portable\)$/);
    assert.equal(row.status, "warn");
    // precision bf16 needs the AVX-512 kernels, which the forced portable kernel turns off
    const bf16 = checks.find((c) => c.name === "training precision bf16");
    assert.ok(bf16, r.stdout);
    const lacks = !(cpuKernels().includes("avx512f") && cpuFlags().has("avx512_bf16"));
    assert.match(bf16.value, lacks ? /^no: precision bf16 needs a CPU with AVX512-BF16 .* which this CPU lacks$/ : /^no: precision bf16 needs the AVX-512 kernels, which DITTO_GEMM_KERNEL=portable turns off$/);
});

test("ditto doctor says whether precision bf16 pays on this CPU", {skip: !(cpuKernels().includes("avx512f") && cpuFlags().has("avx512_bf16")) &&
    "this CPU lacks AVX512-BF16 (the line then says why bf16 is unavailable, checked above)"}, () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "doctor", "--json", "--gpu", "cpu"],
        {encoding: "utf8", env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DITTO_GEMM_KERNEL")), timeout: 120_000});
    const {checks} = JSON.parse(r.stdout) as {checks: {name: string, status: string, value: string}[]};
    const bf16 = checks.find((c) => c.name === "training precision bf16");
    assert.ok(bf16, r.stdout);
    // the measured rate of vdpbf16ps against fp32 FMA, and the verdict that follows from it
    const m = /^available \(AVX512-BF16, vdpbf16ps at ([0-9.]+)x the fp32 FMA rate: (faster|not faster|a little faster) than fp32 here; opt in with --precision bf16\)$/.exec(bf16.value);
    assert.ok(m, bf16.value);
    const ratio = Number(m[1]);
    assert.equal(m[2], ratio >= 1.5 ? "faster" : ratio <= 1.1 ? "not faster" : "a little faster", bf16.value);
});

