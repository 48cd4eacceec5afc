import {createHash} from "node:crypto";
import {createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from "node:fs";
import {homedir} from "node:os";
import {dirname, join, resolve} from "node:path";

/** Where hashes of model files are remembered: $DITTO_CACHE or ~/.cache/ditto. */
function cacheFile(): string {
    return join(process.env.DITTO_CACHE ?? join(homedir(), ".cache", "ditto"), "sha256.json");
}

type Entry = {size: number, mtimeMs: number, sha256: string};

/**
 * The sha256 of a (model) file, streamed; remembered by path, size and modification time so a
 * multi-gigabyte model is hashed once, not on every run. A cache that cannot be written is skipped.
 */
export async function fileSha256(path: string): Promise<{sha256: string, bytes: number}> {
    const abs = resolve(path);
    const st = statSync(abs);
    let cache: Record<string, Entry> = {};
    try { if (existsSync(cacheFile())) cache = JSON.parse(readFileSync(cacheFile(), "utf8")) as Record<string, Entry>; } catch { cache = {}; }
    const hit = cache[abs];
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return {sha256: hit.sha256, bytes: st.size};
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(abs)) hash.update(chunk as Buffer);
    const sha256 = hash.digest("hex");
    cache[abs] = {size: st.size, mtimeMs: st.mtimeMs, sha256};
    try {
        mkdirSync(dirname(cacheFile()), {recursive: true});
        writeFileSync(cacheFile(), JSON.stringify(cache));
    } catch { /* a read-only home: hash again next time */ }
    return {sha256, bytes: st.size};
}
