import {availableParallelism} from "node:os";
import {existsSync, readFileSync, readdirSync} from "node:fs";

/**
 * Physical cores this process may use. llama.cpp's default thread count counts hyper-threads and
 * on a 2-core machine makes generation ~200x slower (architecture.md, "thread trap"), so every
 * context and the training engine take their thread count from here unless the user overrides it.
 */
export function physicalCores(): number {
    const logical = availableParallelism();
    try {
        const base = "/sys/devices/system/cpu";
        if (!existsSync(base)) return logical;
        const cores = new Set<string>();
        for (const name of readdirSync(base)) {
            if (!/^cpu\d+$/.test(name)) continue;
            const topo = `${base}/${name}/topology`;
            if (!existsSync(`${topo}/core_id`)) continue;
            const online = `${base}/${name}/online`;
            if (existsSync(online) && readFileSync(online, "utf8").trim() === "0") continue;
            cores.add(readFileSync(`${topo}/physical_package_id`, "utf8").trim() + ":" + readFileSync(`${topo}/core_id`, "utf8").trim());
        }
        if (cores.size === 0) return logical;
        return Math.max(1, Math.min(cores.size, logical));
    } catch {
        return logical;
    }
}

/**
 * The thread count to use: an explicit user choice, then DITTO_THREADS, then physical cores, and
 * never more than the physical cores: a thread per hyper-thread (or more) is the thread trap itself,
 * so a larger request is capped rather than obeyed.
 */
export function resolveThreads(requested?: number): number {
    const cores = physicalCores();
    if (requested !== undefined && requested > 0) return Math.min(cores, Math.floor(requested));
    const env = Number(process.env.DITTO_THREADS);
    if (Number.isFinite(env) && env >= 1) return Math.min(cores, Math.floor(env));
    return cores;
}
