import {readFileSync} from "node:fs";
import {freemem} from "node:os";

/** Bytes the machine can still give a process: MemAvailable (free plus reclaimable cache), else free memory. */
export function availableMemory(): number {
    try {
        const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
        if (m) return Number(m[1]) * 1024;
    } catch {
        // not Linux: fall through
    }
    return freemem();
}
