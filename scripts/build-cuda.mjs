// Builds the CUDA engine (native/cuda) into build/Release, after node-gyp at install and by
// `npm run build:cuda`:
//   emulated (always): g++ compiles every .cu as C++ with -DDITTO_CUDA_EMU into
//     libditto_cuda_emu.so and the kernel test program cuda_kernel_tests_emu;
//   real (when nvcc is found): nvcc compiles the same sources into libditto_cuda.so and
//     cuda_kernel_tests; a register spill or too much shared memory in any kernel fails the build.
// Objects are cached under build/cuda with their header dependencies; up-to-date outputs are
// not rebuilt. Flags: --emu-only, --cuda-only, --install (what `npm ci` runs: the nvcc build when
// nvcc is found and the machine has an NVIDIA driver, or CI=true, or DITTO_BUILD_CUDA=1; else one
// line saying why not; the emulated build is left to `npm test`, which makes it when out of date).
// Env: DITTO_CUDA_ARCHS (e.g. "90" or "80,90"; default 80,86,89,90 plus PTX for the last),
// DITTO_BUILD_JOBS (default: the CPU count, at most 8), CXX (default g++),
// CUDA_HOME, DITTO_EMU_SANITIZE=address (the emulated kernel tests under AddressSanitizer, as
// cuda_kernel_tests_emu_asan).
import {spawn, spawnSync} from "node:child_process";
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from "node:fs";
import {availableParallelism} from "node:os";
import {basename, delimiter, dirname, join, relative, resolve} from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "build", "Release");
const objRoot = join(root, "build", "cuda");
const cudaDir = join(root, "native", "cuda");
const NO_NVCC =
    "ditto: nvcc not found; the CUDA engine is not built (the CPU engine works; install the CUDA toolkit and run npm run build:cuda)";

/** Default options of buildCuda, in one place. */
export const buildCudaDefaults = {
    emu: true,
    cuda: true,
    jobs: Number(process.env.DITTO_BUILD_JOBS) || Math.min(8, availableParallelism()),
    archs: process.env.DITTO_CUDA_ARCHS || "80,86,89,90",
    cxx: process.env.CXX || "g++",
    sanitize: process.env.DITTO_EMU_SANITIZE || "",
    log: (line) => console.log(line),
};

function list(dir, exts) {
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
        .filter((n) => exts.some((e) => n.endsWith(e)))
        .sort()
        .map((n) => join(dir, n));
}

function mtime(path) {
    try {
        return statSync(path).mtimeMs;
    } catch {
        return -1;
    }
}

/** Newest modification time among a make-style dependency file's entries (Infinity if unreadable). */
function depsTime(depFile) {
    if (!existsSync(depFile)) return Infinity;
    const text = readFileSync(depFile, "utf8").replace(/\\\r?\n/g, " ");
    const colon = text.indexOf(": ");
    if (colon < 0) return Infinity;
    let newest = 0;
    for (const dep of text.slice(colon + 2).split(/\s+/).filter(Boolean)) {
        const t = mtime(resolve(root, dep));
        if (t < 0) return Infinity;
        newest = Math.max(newest, t);
    }
    return newest;
}

function run(cmd, args) {
    return new Promise((resolvePromise) => {
        const child = spawn(cmd, args, {cwd: root, stdio: ["ignore", "pipe", "pipe"]});
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("error", (e) => resolvePromise({code: 1, out: out + String(e)}));
        child.on("close", (code) => resolvePromise({code: code ?? 1, out}));
    });
}

async function pool(tasks, jobs) {
    const results = new Array(tasks.length);
    let next = 0;
    async function worker() {
        while (next < tasks.length) {
            const i = next++;
            results[i] = await tasks[i]();
        }
    }
    await Promise.all(Array.from({length: Math.min(jobs, tasks.length)}, worker));
    return results;
}

class BuildError extends Error {}

function objectOf(relSource, flavour) {
    return join(objRoot, flavour, relSource.replace(/[\\/]/g, "_") + ".o");
}

/** Compiles the sources that are out of date; returns the object paths. */
async function compileAll(sources, flavour, commandFor, opts, onOutput) {
    const tasks = [];
    const objects = sources.map((src) => {
        const obj = objectOf(relative(root, src), flavour);
        const dep = obj.replace(/\.o$/, ".d");
        if (mtime(obj) < 0 || Math.max(mtime(src), depsTime(dep)) >= mtime(obj)) {
            tasks.push(async () => {
                const [cmd, args] = commandFor(src, obj, dep);
                const res = await run(cmd, args);
                onOutput?.(src, res.out);
                if (res.code !== 0) return `${relative(root, src)}: ${cmd} failed\n${withoutPtxasReport(res.out)}`;
                if (res.out.trim() && !onOutput) opts.log(res.out.trimEnd());
                return null;
            });
        }
        return obj;
    });
    mkdirSync(join(objRoot, flavour), {recursive: true});
    if (tasks.length) opts.log(`ditto: compiling ${tasks.length} CUDA engine file(s) (${flavour})`);
    const errors = (await pool(tasks, opts.jobs)).filter(Boolean);
    if (errors.length) throw new BuildError(errors.join("\n"));
    return objects;
}

/** Compiler output without ptxas's per-function report (-Xptxas -v), which ptxasProblems reads. */
function withoutPtxasReport(out) {
    return out
        .split("\n")
        .filter((l) => !/^ptxas info|^\s+\d+ bytes stack frame/.test(l))
        .join("\n");
}

/** Links unless the output is newer than every object and was linked from the same objects. */
async function link(output, objects, cmd, args, opts) {
    const record = join(objRoot, `${basename(output)}.objects`);
    const inputs = objects.map((o) => relative(root, o)).join("\n");
    const same = existsSync(record) && readFileSync(record, "utf8") === inputs;
    if (same && mtime(output) >= 0 && objects.every((o) => mtime(o) < mtime(output))) return;
    mkdirSync(dirname(output), {recursive: true});
    const res = await run(cmd, [...args, "-o", output, ...objects]);
    if (res.code !== 0) throw new BuildError(`linking ${relative(root, output)} failed\n${res.out}`);
    mkdirSync(objRoot, {recursive: true});
    writeFileSync(record, inputs);
    opts.log(`ditto: built ${relative(root, output)}`);
}

function sourceSets() {
    const engine = [
        ...list(join(cudaDir, "kernels"), [".cu", ".cpp"]),
        ...list(join(cudaDir, "engine"), [".cu", ".cpp"]),
    ];
    return {
        engine,
        kernelCpp: list(join(cudaDir, "kernels"), [".cpp"]),
        tests: [...list(join(cudaDir, "test"), [".cu"]), join(cudaDir, "test", "KernelTestMain.cpp")],
        emulator: list(join(cudaDir, "compat"), [".cpp"]),
        // The CPU engine: the GPU engine reuses its GGUF reader and layouts, the tests its math.
        host: list(join(root, "native", "src"), [".cpp"]),
    };
}

const includeFlags = ["-Inative/cuda", "-Inative/include", "-Inative/src"];

async function buildEmu(opts) {
    if (opts.sanitize) return buildEmuSanitized(opts);
    const s = sourceSets();
    const common = ["-std=c++17", "-O2", "-fPIC", "-fvisibility=hidden", ...includeFlags];
    // Stack clash protection probes every page of a large frame, so a CUDA thread that outgrows
    // its fiber stack faults in the guard page below it; no FMA contraction, as __fmul_rn means.
    const emuFlags = ["-x", "c++", ...common, "-DDITTO_CUDA_EMU", "-fstack-clash-protection", "-ffp-contract=off"];
    const emuCmd = (src, obj, dep) => [opts.cxx, [...emuFlags, "-MMD", "-MF", dep, "-c", src, "-o", obj]];
    const hostCmd = (src, obj, dep) => [opts.cxx, [...common, "-MMD", "-MF", dep, "-c", src, "-o", obj]];
    const host = await compileAll(s.host, "host", hostCmd, opts);
    const emulator = await compileAll(s.emulator, "emu", emuCmd, opts);
    const libs = ["-lpthread", "-ldl"];
    // The library and the test program fail separately, so a broken engine still lets the
    // kernel tests build (and the other way round); the first failure is thrown at the end.
    const failures = [];
    if (s.engine.length) {
        await attempt(failures, async () => {
            const engine = await compileAll(s.engine, "emu", emuCmd, opts);
            await link(join(outDir, "libditto_cuda_emu.so"), [...engine, ...emulator, ...host], opts.cxx,
                ["-shared", "-Wl,--no-undefined", ...libs], opts);
        });
    }
    await attempt(failures, async () => {
        const tests = await compileAll([...s.tests, ...s.kernelCpp], "emu", emuCmd, opts);
        await link(join(outDir, "cuda_kernel_tests_emu"), [...tests, ...emulator, ...host], opts.cxx, libs, opts);
    });
    if (failures.length) throw new BuildError(failures.join("\n"));
}

// DITTO_EMU_SANITIZE=address: the kernel tests only, built with AddressSanitizer into
// cuda_kernel_tests_emu_asan, which then also checks the kernels' global-memory accesses.
async function buildEmuSanitized(opts) {
    if (opts.sanitize !== "address") throw new BuildError(`DITTO_EMU_SANITIZE="${opts.sanitize}": only "address" is supported`);
    const s = sourceSets();
    const flags = ["-std=c++17", "-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer", ...includeFlags];
    const emuFlags = ["-x", "c++", ...flags, "-DDITTO_CUDA_EMU", "-fstack-clash-protection", "-ffp-contract=off"];
    const host = await compileAll(s.host, "host-asan", (src, obj, dep) => [opts.cxx, [...flags, "-MMD", "-MF", dep, "-c", src, "-o", obj]], opts);
    const emuCmd = (src, obj, dep) => [opts.cxx, [...emuFlags, "-MMD", "-MF", dep, "-c", src, "-o", obj]];
    const objects = await compileAll([...s.emulator, ...s.tests, ...s.kernelCpp], "emu-asan", emuCmd, opts);
    await link(join(outDir, "cuda_kernel_tests_emu_asan"), [...objects, ...host], opts.cxx, ["-fsanitize=address", "-lpthread", "-ldl"], opts);
}

async function attempt(failures, step) {
    try {
        await step();
    } catch (e) {
        if (!(e instanceof BuildError)) throw e;
        failures.push(e.message);
    }
}

export function findNvcc() {
    const names = [];
    for (const dir of (process.env.PATH || "").split(delimiter)) if (dir) names.push(join(dir, "nvcc"));
    if (process.env.CUDA_HOME) names.push(join(process.env.CUDA_HOME, "bin", "nvcc"));
    names.push("/usr/local/cuda/bin/nvcc");
    return names.find((p) => existsSync(p) && statSync(p).isFile()) ?? null;
}

function gencodeFlags(archs) {
    const list = archs.split(/[\s,;]+/).filter(Boolean).map((a) => a.replace(/^(sm_|compute_)/, ""));
    if (!list.length || list.some((a) => !/^\d+[a-z]?$/.test(a)))
        throw new BuildError(`DITTO_CUDA_ARCHS="${archs}" is not a list of compute capabilities such as "80,90"`);
    const flags = list.flatMap((a) => ["-gencode", `arch=compute_${a},code=sm_${a}`]);
    const last = list[list.length - 1];
    return [...flags, "-gencode", `arch=compute_${last},code=compute_${last}`];
}

function demangle(names) {
    const res = spawnSync("c++filt", {input: names.join("\n"), encoding: "utf8"});
    return res.status === 0 ? res.stdout.split("\n") : names;
}

/** Kernels that spill registers or use too much shared memory, from ptxas -v output. */
export function ptxasProblems(output) {
    const problems = [];
    let fn = null;
    let arch = "";
    for (const line of output.split("\n")) {
        let m;
        if ((m = /Compiling entry function '([^']+)' for '([^']+)'/.exec(line))) [, fn, arch] = m;
        else if ((m = /Function properties for (\S+)/.exec(line))) fn = m[1];
        else if ((m = /(\d+) bytes spill stores, (\d+) bytes spill loads/.exec(line))) {
            if (m[1] !== "0" || m[2] !== "0") problems.push({fn, what: `${m[1]} bytes spill stores, ${m[2]} bytes spill loads`, arch});
        } else if ((m = /Entry function '([^']+)' uses too much shared data(.*)/.exec(line))) {
            problems.push({fn: m[1], what: `uses too much shared data${m[2]}`, arch});
        }
    }
    const names = demangle(problems.map((p) => p.fn ?? "?"));
    return problems.map((p, i) => `${names[i] || p.fn} (${p.arch || "?"}): ${p.what}`);
}

async function buildCudaReal(nvcc, opts) {
    const s = sourceSets();
    if (!s.engine.length) return;
    const gencode = gencodeFlags(opts.archs);
    // Objects per architecture list, so that changing DITTO_CUDA_ARCHS rebuilds and relinks.
    const flavour = `nvcc-${opts.archs.split(/[\s,;]+/).filter(Boolean).join("-")}`;
    const hostFlags = ["-Xcompiler", "-fPIC", "-Xcompiler", "-fvisibility=hidden"];
    const nvccCmd = (src, obj, dep) => [nvcc, [
        "-std=c++17", "-O3", ...hostFlags, ...includeFlags, ...(src.endsWith(".cu") ? [...gencode, "-Xptxas", "-v"] : []),
        "-MD", "-MF", dep, "-c", src, "-o", obj,
    ]];
    const problems = [];
    const collect = (src, out) => {
        for (const p of ptxasProblems(out)) problems.push(`${relative(root, src)}: ${p}`);
        const rest = withoutPtxasReport(out).trim();
        if (rest) opts.log(rest);
    };
    const host = await compileAll(s.host, "host", (src, obj, dep) => [opts.cxx, [
        "-std=c++17", "-O2", "-fPIC", "-fvisibility=hidden", ...includeFlags, "-MMD", "-MF", dep, "-c", src, "-o", obj,
    ]], opts);
    const linkFlags = ["-cudart", "static", "-ldl", "-lpthread"];
    const failures = [];
    let engine = [];
    let tests = [];
    await attempt(failures, async () => (engine = await compileAll(s.engine, flavour, nvccCmd, opts, collect)));
    await attempt(failures, async () => (tests = await compileAll([...s.tests, ...s.kernelCpp], flavour, nvccCmd, opts, collect)));
    if (problems.length) {
        // The objects were written: remove them so the next build reports the spills again.
        for (const line of problems) rmSync(objectOf(line.slice(0, line.indexOf(": ")), flavour), {force: true});
        failures.push("ditto: kernels spill registers or use too much shared memory:\n  " + problems.join("\n  "));
    }
    if (failures.length) throw new BuildError(failures.join("\n"));
    await link(join(outDir, "libditto_cuda.so"), [...engine, ...host], nvcc, ["--shared", ...linkFlags], opts);
    await link(join(outDir, "cuda_kernel_tests"), [...tests, ...host], nvcc, linkFlags, opts);
}

/** Builds what opts asks for; throws BuildError (message = compiler output) on a failure. */
export async function buildCuda(options = {}) {
    const opts = {...buildCudaDefaults, ...options};
    if (opts.emu) await buildEmu(opts);
    if (opts.cuda) {
        const nvcc = findNvcc();
        if (!nvcc) {
            if (!opts.emu) throw new BuildError(NO_NVCC);
            opts.log(NO_NVCC);
            return;
        }
        await buildCudaReal(nvcc, opts);
    }
}

/** Where the NVIDIA driver's user-space library is, or null (the CUDA engine needs it to run). */
export function findDriver() {
    if (existsSync("/proc/driver/nvidia/version")) return "/proc/driver/nvidia/version";
    const dirs = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/lib/wsl/lib",
        ...(process.env.LD_LIBRARY_PATH || "").split(delimiter).filter(Boolean)];
    return dirs.map((d) => join(d, "libcuda.so.1")).find((p) => existsSync(p)) ?? null;
}

/**
 * What `npm ci` builds: the nvcc build where it can run (a driver is present) or where it is asked
 * for (CI=true, DITTO_BUILD_CUDA=1); compiling four GPU architectures takes minutes on a small
 * machine, which a machine without a GPU would spend for nothing.
 */
export async function installBuild(log = console.log) {
    const nvcc = findNvcc();
    if (!nvcc) return log(NO_NVCC);
    const asked = process.env.CI === "true" || process.env.DITTO_BUILD_CUDA === "1";
    if (!asked && !findDriver()) {
        return log("ditto: nvcc found but no NVIDIA driver on this machine, so the CUDA engine is not built now " +
            "(the CPU engine works; npm run build:cuda builds it, or DITTO_BUILD_CUDA=1 npm ci)");
    }
    log(`ditto: building the CUDA engine with ${nvcc} for sm_${buildCudaDefaults.archs.split(/[\s,;]+/).join(", sm_")} ` +
        `(${buildCudaDefaults.jobs} jobs; a few minutes)`);
    await buildCuda({emu: false, cuda: true});
}

export {BuildError};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
    const args = process.argv.slice(2);
    const unknown = args.filter((a) => a !== "--emu-only" && a !== "--cuda-only" && a !== "--install");
    if (unknown.length || args.length > 1) {
        console.error(`error: unknown arguments ${args.join(" ")}\nfix: use no argument, --emu-only, --cuda-only or --install`);
        process.exit(2);
    }
    const build = args.includes("--install") ? installBuild() : buildCuda({emu: !args.includes("--cuda-only"), cuda: !args.includes("--emu-only")});
    build.catch((e) => {
        console.error(e instanceof BuildError ? e.message : e);
        process.exit(1);
    });
}
