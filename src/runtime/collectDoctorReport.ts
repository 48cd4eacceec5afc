import {existsSync, readdirSync, readFileSync, statfsSync} from "node:fs";
import {createRequire} from "node:module";
import {availableParallelism, cpus, freemem, totalmem} from "node:os";
import {dirname, join} from "node:path";
import {getModuleVersion, type Llama} from "node-llama-cpp";
import {formatBytes} from "../models/formatBytes.js";
import {listModels} from "../models/listModels.js";
import {offlineSetting} from "../models/offlineSetting.js";
import {packageRoot} from "../models/packageRoot.js";
import {loadNativeAddon} from "../engine/loadNativeAddon.js";
import {openLlama, type GpuChoice} from "./openLlama.js";
import {physicalCores, resolveThreads} from "./physicalCores.js";

export type DoctorCheck = {
    name: string,
    /** "fail": ditto cannot do its job here; "warn": it can, but something is off or missing */
    status: "ok" | "warn" | "fail",
    value: string,
    /** the fix, for warn and fail */
    hint?: string
};

export type DoctorOptions = {gpu?: GpuChoice, threads?: number, modelsDir?: string, offline?: boolean};

/**
 * What ditto finds on this machine, one line per thing that decides whether and how fast it runs:
 * Node, the llama.cpp binary that loads, the GPU and its memory, threads (the thread trap), models,
 * disk, the training engine addon. Never throws for a missing piece: a doctor reports it.
 */
export async function collectDoctorReport(options: DoctorOptions = {}): Promise<DoctorCheck[]> {
    const checks: DoctorCheck[] = [];
    const nodeMajor = Number(process.versions.node.split(".")[0]);
    checks.push(nodeMajor >= 20
        ? {name: "node", status: "ok", value: process.version}
        : {name: "node", status: "fail", value: process.version, hint: "install Node.js 20 or newer"});
    checks.push({name: "node-llama-cpp", status: "ok", value: await getModuleVersion()});

    const gpu = options.gpu ?? "auto";
    let llama: Llama | undefined;
    try {
        llama = await openLlama(gpu);
        const binary = loadedLlamaBinary();
        checks.push({name: "llama.cpp backend", status: "ok",
            value: `${llama.gpu === false ? "cpu" : llama.gpu} (${llama.buildType === "prebuilt" ? "prebuilt" : "local build"}` +
                `${binary ? ` ${binary}` : ""}, ${llama.llamaCppRelease.repo} ${llama.llamaCppRelease.release}, --gpu ${gpu})`});
    } catch (err) {
        checks.push({name: "llama.cpp backend", status: "fail", value: `--gpu ${gpu}: ${(err as Error).message}`,
            hint: gpu === "cpu" ? "reinstall with `npm ci` (node-llama-cpp ships its binaries in npm packages)" : "try --gpu cpu; check the GPU driver and CUDA/Vulkan runtime libraries"});
    }
    if (llama && llama.gpu !== false) {
        const names = await llama.getGpuDeviceNames().catch(() => [] as string[]);
        const vram = await llama.getVramState();
        checks.push({name: "gpu", status: "ok",
            value: `${llama.gpu}: ${names.join(", ") || "unnamed device"}, ${formatBytes(vram.total)} VRAM, ${formatBytes(vram.free)} free`});
    } else if (llama) {
        checks.push({name: "gpu", status: gpu === "cpu" ? "ok" : "warn",
            value: gpu === "cpu" ? "not used (--gpu cpu)" : "none found: generation runs on the CPU",
            hint: gpu === "cpu" ? undefined : "for a GPU: install its driver and the CUDA 12/13 runtime (libcudart, libcublas) or Vulkan, then run `ditto doctor` again"});
    }

    const cores = physicalCores();
    const threads = resolveThreads(options.threads);
    const why = options.threads ? `--threads ${options.threads}` : process.env.DITTO_THREADS ? `DITTO_THREADS=${process.env.DITTO_THREADS}` : "physical cores";
    checks.push({name: "threads", status: "ok",
        value: `${threads} (${why}; ${cores} physical cores, ${availableParallelism()} logical${options.threads && options.threads > cores ? ", capped at the physical cores" : ""})`});
    checks.push({name: "memory", status: "ok", value: `${formatBytes(totalmem())} RAM, ${formatBytes(freemem())} free`});

    const listing = listModels({modelsDir: options.modelsDir});
    const downloaded = listing.catalogue.filter((e) => e.downloaded).map((e) => e.name);
    const files = [...downloaded, ...listing.local.map((l) => l.file), ...listing.fixtures.map((f) => f.ref)];
    checks.push({name: "models", status: files.length > 0 ? "ok" : "warn",
        value: `${listing.dir}: ${files.length === 0 ? "no models" : files.join(", ")}`,
        hint: files.length === 0 ? "`ditto models pull NAME` (see `ditto models list`), or use fixture:qwen2-tiny-q8_0 for a demo" : undefined});

    const disk = freeDisk(listing.dir);
    if (disk)
        checks.push({name: "disk", status: disk.free < 10e9 ? "warn" : "ok", value: `${formatBytes(disk.free)} free at ${disk.at}`,
            hint: disk.free < 10e9 ? "a 7-8B model at Q8_0 takes ~8.5 GB, a training run a few GB more: free space or set DITTO_MODELS to a larger disk" : undefined});

    const engine = trainingEngineCheck();
    checks.push(engine);
    if (engine.status === "ok") checks.push(trainingKernelCheck(), trainingBf16Check(), trainingCudaCheck());
    const offline = offlineSetting(options.offline);
    checks.push({name: "network", status: "ok", value: offline ? `off (${offline})` : "only `ditto models pull` uses it (--offline or DITTO_OFFLINE=1 turn it off)"});
    return checks;
}

/** The node-llama-cpp addon file mapped into this process (Linux), e.g. @node-llama-cpp/linux-x64-cuda. */
function loadedLlamaBinary(): string | null {
    try {
        const maps = readFileSync("/proc/self/maps", "utf8");
        const m = /\S*node-llama-cpp\S*\.node/.exec(maps);
        if (!m) return null;
        const pkg = /@node-llama-cpp\/([^/]+)/.exec(m[0]);
        return pkg ? `@node-llama-cpp/${pkg[1]}` : m[0];
    } catch {
        return null;
    }
}

function freeDisk(dir: string): {free: number, at: string} | null {
    let at = dir;
    while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
    try {
        const s = statfsSync(at);
        return {free: s.bavail * s.bsize, at};
    } catch {
        return null;
    }
}

/** The matrix kernel the training engine picked for this CPU, or the one DITTO_GEMM_KERNEL forced. */
function trainingKernelCheck(): DoctorCheck {
    const kernel = loadNativeAddon().gemmKernel();
    const forced = process.env.DITTO_GEMM_KERNEL ? `, DITTO_GEMM_KERNEL=${process.env.DITTO_GEMM_KERNEL}` : "";
    return {name: "training kernel", status: kernel === "portable" ? "warn" : "ok", value: `${kernel} (${cpus()[0]?.model.trim() ?? "unknown CPU"}${forced})`,
        hint: kernel === "portable" ? "no AVX2 in use: training runs several times slower (unset DITTO_GEMM_KERNEL, or train on an x86-64 CPU with AVX2)" : undefined};
}

/** The native LoRA training engine (build/Release/*.node): present and loadable? */
function trainingEngineCheck(): DoctorCheck {
    const release = join(packageRoot, "build", "Release");
    const addons = existsSync(release) ? readdirSync(release).filter((f) => f.endsWith(".node")) : [];
    if (addons.length === 0)
        return {name: "training engine", status: "warn", value: `not built (no ${join(release, "*.node")})`,
            hint: "run `npm run build:native` (needs a C++ compiler; generation works without it)"};
    const require = createRequire(import.meta.url);
    const results = addons.map((file) => {
        try {
            require(join(release, file));
            return {file, error: null};
        } catch (err) {
            return {file, error: (err as Error).message.split("\n")[0]};
        }
    });
    const failed = results.filter((r) => r.error !== null);
    if (failed.length > 0)
        return {name: "training engine", status: "fail", value: failed.map((f) => `${f.file}: ${f.error}`).join("; "),
            hint: "rebuild it with `npm run build:native` (it must be built for this Node version and machine)"};
    return {name: "training engine", status: "ok", value: `loads (${results.map((r) => join(release, r.file)).join(", ")})`};
}

/** Whether `--precision bf16` can run here; not having it is no problem (fp32 is the default). */
function trainingBf16Check(): DoctorCheck {
    const bf16 = loadNativeAddon().bf16Probe();
    if (bf16.available) {
        // whether it pays here: vdpbf16ps runs at twice the fp32 FMA rate on some CPUs (AMD Zen 5:
        // bf16 steps 1.5x faster) and at half on others (the Intel Xeons measured: slower)
        const addon = loadNativeAddon();
        const fp32 = addon.fmaPeak("avx512f", 1), pairs = addon.fmaPeak("avx512bf16", 1);
        // one decimal, as printed, so the verdict always matches the figure shown
        const ratio = fp32 && pairs ? Math.round(10 * pairs.perCpuSecond / fp32.perCpuSecond) / 10 : Number.NaN;
        const verdict = !Number.isFinite(ratio) ? "" : ratio >= 1.5 ? "faster than fp32 here" : ratio <= 1.1 ? "not faster than fp32 here" : "a little faster than fp32 here";
        const rate = Number.isFinite(ratio) ? `, vdpbf16ps at ${ratio.toFixed(1)}x the fp32 FMA rate: ${verdict}` : "";
        return {name: "training precision bf16", status: "ok", value: `available (AVX512-BF16${rate}; opt in with --precision bf16)`};
    }
    const [problem, ...fix] = bf16.reason.split("; ");
    return {name: "training precision bf16", status: "ok", value: `no: ${problem}`, hint: fix.length ? fix.join("; ") : undefined};
}

/** Whether training can run on a CUDA GPU here (the CPU row is the training kernel's). */
function trainingCudaCheck(): DoctorCheck {
    const cuda = loadNativeAddon().cudaProbe(false);
    if (cuda.available) {
        const d = cuda.device;
        return {name: "training on cuda", status: "ok",
            value: `${d.name}, compute ${d.computeCapability}, ${(d.memoryBytes / 1e9).toFixed(0)} GB, products: ${d.gemm} (not yet verified on a real GPU: native/cuda/README.md)`};
    }
    const [problem, ...fix] = cuda.reason.split("; ");
    return {name: "training on cuda", status: "warn", value: `no: ${problem}`, hint: fix.length ? fix.join("; ") : undefined};
}
