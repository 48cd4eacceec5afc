import {createHash, type Hash} from "node:crypto";
import {createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, closeSync, renameSync, statSync, statfsSync, truncateSync, unlinkSync} from "node:fs";
import {join} from "node:path";
import {Transform} from "node:stream";
import {pipeline} from "node:stream/promises";
import {DittoError} from "../errors/DittoError.js";
import {modelsDir} from "./catalogue.js";
import {formatBytes} from "./formatBytes.js";
import {offlineSetting} from "./offlineSetting.js";
import {openDownload} from "./openDownload.js";
import {acquirePullLock} from "./pullLock.js";
import {resolvePullSource, type PullSource} from "./resolvePullSource.js";

export type PullOptions = {
    /** folder to write into (default: the models folder, see modelsDir) */
    outDir?: string,
    /** sha256 to verify against; overrides the catalogue's */
    sha256?: string,
    /** the --offline flag; DITTO_OFFLINE=1 has the same effect */
    offline?: boolean,
    /** reconnects after a dropped connection, each resuming with a Range request (default 5) */
    retries?: number,
    /** wait before the first reconnect, doubled each time (default 2000 ms) */
    retryDelayMs?: number,
    /** a connection silent this long counts as dropped (default 60000 ms) */
    idleTimeoutMs?: number,
    /** bytes on disk so far and the total when the server said it */
    onProgress?: (received: number, total: number | null) => void,
    /** one-line notices: resuming, reconnecting, starting over */
    onNotice?: (message: string) => void
};

export type PullResult = {
    path: string,
    bytes: number,
    sha256: string | null,
    /** where the checksum that was verified came from; null: none known, nothing verified */
    checksumFrom: "--sha256" | "catalogue" | "server" | null,
    /** bytes that were already in FILE.partial when this pull started */
    resumedFrom: number,
    /** the file was already in place; nothing was downloaded or verified */
    alreadyPresent: boolean
};

/** A server answer that means "start again from byte 0" (Range ignored or mismatched). */
class StartOver extends Error {}
/** A dropped or failed transfer worth reconnecting for; the partial file is kept. */
class Retryable extends Error {}

/**
 * Downloads a model (catalogue name, hf:owner/repo/file, or URL) into the models folder:
 * streams to FILE.partial, resumes a partial file with an HTTP Range request (also after a
 * dropped connection, up to `retries` times), verifies the sha256 when one is known (catalogue,
 * --sha256, or Hugging Face's X-Linked-Etag), and renames FILE.partial to FILE only when complete,
 * so FILE never exists half-written. FILE.lock keeps a second pull of the same file out while one
 * runs. The only network code in ditto (test/models/noNetwork.test.ts).
 */
export async function pullModel(ref: string, options: PullOptions = {}): Promise<PullResult> {
    const source = resolvePullSource(ref, {sha256: options.sha256});
    const dir = options.outDir ?? modelsDir();
    try {
        mkdirSync(dir, {recursive: true});
    } catch (err) {
        throw new DittoError(`cannot create the folder ${dir}: ${(err as Error).message}`, {
            hint: "pick a writable folder with --out DIR", code: "PULL_DIR", cause: err});
    }
    const dest = join(dir, source.fileName);
    const present = (): PullResult => ({path: dest, bytes: statSync(dest).size, sha256: null, checksumFrom: null, resumedFrom: 0, alreadyPresent: true});
    if (existsSync(dest)) return present();
    // checked after the early return: a file that is already here needs no network, offline or not
    const blockedBy = offlineSetting(options.offline);
    if (blockedBy)
        throw new DittoError(`cannot download "${ref}": network use is off (${blockedBy === "--offline" ? "--offline was given" : `DITTO_OFFLINE=${process.env.DITTO_OFFLINE} is set`})`, {
            hint: blockedBy === "--offline"
                ? "drop --offline to download, or pull on a connected machine and copy the models folder here"
                : "unset DITTO_OFFLINE to download, or pull on a connected machine and copy the models folder here",
            code: "OFFLINE"});

    const release = acquirePullLock(dest);
    try {
        if (existsSync(dest)) return present();  // another pull finished it just before we took the lock
        return await download(source, dest, options);
    } finally {
        release();
    }
}

async function download(source: PullSource, dest: string, options: PullOptions): Promise<PullResult> {
    const partial = dest + ".partial";
    let expectedSha = source.sha256;
    let checksumFrom: PullResult["checksumFrom"] = source.sha256 === null ? null : options.sha256 ? "--sha256" : "catalogue";
    const resumedFrom = existsSync(partial) ? statSync(partial).size : 0;
    if (resumedFrom > 0) options.onNotice?.(`resuming ${partial} at ${formatBytes(resumedFrom)}`);

    const retries = options.retries ?? 5;
    let delay = options.retryDelayMs ?? 2000;
    let failures = 0;
    let startOvers = 0;
    let total: number | null = null;
    let hash: Hash | undefined;
    for (;;) {
        const start = existsSync(partial) ? statSync(partial).size : 0;
        try {
            const attempt = await downloadAttempt(source.url, partial, start, options);
            if (attempt.serverSha && expectedSha === null) {
                expectedSha = attempt.serverSha;
                checksumFrom = "server";
            }
            total = attempt.total;
            hash = attempt.hash;
            break;
        } catch (err) {
            if (err instanceof StartOver) {
                // a second start-over in one pull means the server keeps changing its answer: stop
                if (++startOvers > 1) throw new DittoError(`${source.url}: the server's answers to a resumed download do not agree`, {
                    hint: `delete ${partial} and run the same command again`, code: "PULL_RANGE"});
                options.onNotice?.(`${err.message}; starting over from byte 0`);
                truncateSync(partial, 0);
                continue;
            }
            if (!(err instanceof Retryable)) throw err;
            const have = existsSync(partial) ? statSync(partial).size : 0;
            if (++failures > retries)
                throw new DittoError(`download of ${source.url} interrupted at ${formatBytes(have)}${total ? ` of ${formatBytes(total)}` : ""}: ${err.message}`, {
                    hint: `run the same command again: it resumes from ${partial} (kept). Offline or behind a firewall: pull on a connected machine and copy the models folder over`,
                    code: "PULL_INTERRUPTED", cause: err.cause ?? err});
            options.onNotice?.(`${err.message}; reconnecting in ${(delay / 1000).toFixed(1)} s (try ${failures} of ${retries}), resuming at ${formatBytes(have)}`);
            await new Promise((r) => setTimeout(r, delay));
            delay *= 2;
        }
    }

    const bytes = statSync(partial).size;
    if (total !== null && bytes !== total)
        throw new DittoError(`${partial} has ${bytes} bytes but the server announced ${total}`, {
            hint: "run the same command again to resume; if this repeats, delete the .partial file", code: "PULL_SIZE"});
    const sha256 = hash!.digest("hex");
    if (expectedSha !== null && sha256 !== expectedSha) {
        // The bytes are all there and wrong: resuming could never fix them (the server would answer
        // 416 "nothing left"), and a resumed prefix from an older upload is the likely cause. So the
        // partial file goes, and the next run downloads from byte 0.
        unlinkSync(partial);
        throw new DittoError(`${source.fileName}: sha256 mismatch: got ${sha256}, expected ${expectedSha} (from ${checksumFrom}); the download was removed`, {
            hint: checksumFrom === "catalogue"
                ? "run the same command again to download from scratch; if it fails again the catalogue's checksum is out of date (models/catalogue.yaml)"
                : "run the same command again to download from scratch; check the --sha256 value against the model page",
            code: "PULL_SHA256_MISMATCH"});
    }
    const fd = openSync(partial, "r+");
    try { fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(partial, dest);
    return {path: dest, bytes, sha256, checksumFrom: expectedSha === null ? null : checksumFrom, resumedFrom, alreadyPresent: false};
}

/** One HTTP exchange: request from `start`, append the body to `partial`, hashing everything on disk. */
async function downloadAttempt(url: string, partial: string, start: number, options: PullOptions):
        Promise<{total: number | null, hash: Hash, serverSha: string | null}> {
    let opened;
    try {
        opened = await openDownload(url, {start, idleTimeoutMs: options.idleTimeoutMs ?? 60_000});
    } catch (err) {
        if (err instanceof DittoError) throw err;
        throw new Retryable(`cannot reach ${new URL(url).host}: ${describeNetworkError(err)}`, {cause: err});
    }
    const {response: res, finalUrl, serverSha} = opened;
    const status = res.statusCode ?? 0;
    let total: number | null = null;
    let append = false;
    if (status === 416) {
        res.resume();
        // "nothing left in that range": complete if the partial file is exactly the whole file
        const m = /\/(\d+)$/.exec(String(res.headers["content-range"] ?? ""));
        if (m && Number(m[1]) === start && start > 0)
            return {total: start, hash: await hashFile(partial, start), serverSha};
        throw new StartOver("the server refused the resume range");
    }
    if (status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers["content-range"] ?? ""));
        if (!m || Number(m[1]) !== start) {
            res.resume();
            throw new StartOver(`the server answered range ${res.headers["content-range"] ?? "(none)"} to a request from byte ${start}`);
        }
        total = m[3] === "*" ? null : Number(m[3]);
        append = true;
    } else if (status === 200) {
        // a server without Range support sends the whole file again: overwrite, do not append
        if (start > 0) options.onNotice?.("the server does not resume downloads; downloading from byte 0");
        const len = Number(res.headers["content-length"]);
        total = Number.isFinite(len) && res.headers["content-length"] !== undefined ? len : null;
    } else {
        res.resume();
        throw httpError(status, url, finalUrl);
    }
    if (total !== null) checkFreeSpace(partial, total - (append ? start : 0));

    const hash = append ? await hashFile(partial, start) : createHash("sha256");
    let received = append ? start : 0;
    options.onProgress?.(received, total);
    const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            received += chunk.length;
            options.onProgress?.(received, total);
            done(null, chunk);
        }
    });
    try {
        await pipeline(res, counter, createWriteStream(partial, {flags: append ? "a" : "w"}));
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOSPC" || code === "EDQUOT")
            throw new DittoError(`disk full while writing ${partial} (${formatBytes(existsSync(partial) ? statSync(partial).size : 0)} kept${total ? ` of ${formatBytes(total)}` : ""})`, {
                hint: "free disk space (or use --out DIR on a larger disk, moving the .partial file there) and run the same command again: it resumes",
                code: "PULL_DISK_FULL", cause: err});
        if (code === "EACCES" || code === "EROFS" || code === "EPERM")
            throw new DittoError(`cannot write ${partial}: ${(err as Error).message}`, {
                hint: "pick a writable folder with --out DIR", code: "PULL_DIR", cause: err});
        throw new Retryable(`connection dropped: ${describeNetworkError(err)}`, {cause: err});
    }
    if (total !== null && received < total)
        throw new Retryable(`connection closed after ${formatBytes(received)} of ${formatBytes(total)}`);
    return {total: total ?? received, hash, serverSha};
}

function httpError(status: number, url: string, finalUrl: string): Error {
    const where = finalUrl === url ? url : `${url} (redirected to ${new URL(finalUrl).host})`;
    if (status === 404)
        return new DittoError(`${where}: not found (HTTP 404)`, {
            hint: "check the repository and file name (Hugging Face: the Files tab of the model page); `ditto models list` shows catalogue names",
            code: "PULL_NOT_FOUND"});
    if (status === 401 || status === 403)
        return new DittoError(`${where}: access denied (HTTP ${status})`, {
            hint: process.env.HF_TOKEN
                ? "HF_TOKEN was sent and refused: accept the model's license on its Hugging Face page with the token's account, or use a token with read access"
                : "this is a gated or private model: accept its license on the Hugging Face page and set HF_TOKEN to an access token (huggingface.co/settings/tokens)",
            code: "PULL_AUTH"});
    if (status === 429 || status >= 500) return new Retryable(`the server answered HTTP ${status}`);
    return new DittoError(`${where}: the server answered HTTP ${status}`, {
        hint: "check the URL; for Hugging Face use hf:OWNER/REPO/FILE", code: "PULL_HTTP"});
}

function describeNetworkError(err: unknown): string {
    const e = err as NodeJS.ErrnoException;
    return e.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ""}` : String(e.message ?? err);
}

/** Refuses before writing when the disk cannot hold the rest of the file (statfs, where supported). */
function checkFreeSpace(partial: string, needed: number): void {
    let free: number;
    try {
        const s = statfsSync(join(partial, ".."));
        free = s.bavail * s.bsize;
    } catch {
        return;
    }
    if (needed > free)
        throw new DittoError(`not enough disk space for ${partial}: ${formatBytes(needed)} still to download, ${formatBytes(free)} free`, {
            hint: "free disk space, or pull to a larger disk with --out DIR", code: "PULL_DISK_FULL"});
}

/** sha256 state over the first `length` bytes of a file (the part a resumed download keeps). */
async function hashFile(path: string, length: number): Promise<Hash> {
    const hash = createHash("sha256");
    if (length === 0) return hash;
    for await (const chunk of createReadStream(path, {start: 0, end: length - 1}))
        hash.update(chunk as Buffer);
    return hash;
}
