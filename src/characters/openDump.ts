import {spawn} from "node:child_process";
import {closeSync, createReadStream, existsSync, openSync, readSync} from "node:fs";
import {createInterface} from "node:readline";
import {PassThrough, type Readable} from "node:stream";
import {createGunzip} from "node:zlib";
import {DittoError} from "../errors/DittoError.js";

/** What a dump file really is, from its first bytes (not its name). */
function sniff(path: string): "gzip" | "bzip2" | "plain" {
    const fd = openSync(path, "r");
    const head = Buffer.alloc(3);
    try { readSync(fd, head, 0, 3, 0); } finally { closeSync(fd); }
    if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
    if (head.toString("latin1") === "BZh") return "bzip2";
    return "plain";
}

/**
 * The lines of a dump, decompressed as a stream (dumps are tens of gigabytes: nothing is read
 * whole). gzip through node's zlib; bzip2 through the system's `bzip2 -dc` (no npm bzip2 decoder is
 * both streaming and widely used). A file named .gz/.bz2 that is not one is an error, and so is a
 * stream that breaks off.
 */
export function openDump(path: string): AsyncIterable<string> {
    if (!existsSync(path)) throw new DittoError(`${path}: dump not found`, {hint: "check the path to the downloaded dump", code: "DUMP_MISSING"});
    const kind = sniff(path);
    const named = /\.gz$/i.test(path) ? "gzip" : /\.bz2$/i.test(path) ? "bzip2" : undefined;
    if (named && named !== kind)
        throw new DittoError(`${path}: named like a ${named} file, but it is ${kind === "plain" ? "not compressed" : `${kind}-compressed`}`,
            {hint: "the download may be incomplete or renamed; download it again, or rename it to what it is", code: "DUMP_NOT_WHAT_IT_CLAIMS"});
    const out = new PassThrough();
    const fail = (message: string, cause?: unknown) => out.destroy(new DittoError(`${path}: ${message}`, {hint: "the dump is damaged or incomplete: download it again", code: "DUMP_CORRUPT", cause}));
    let source: Readable;
    if (kind === "bzip2") {
        const child = spawn("bzip2", ["-dc", path], {stdio: ["ignore", "pipe", "pipe"]});
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
        child.on("error", (err: NodeJS.ErrnoException) => out.destroy(err.code === "ENOENT"
            ? new DittoError("bzip2 is needed to read .bz2 dumps and was not found", {hint: "install it (apt-get install bzip2, brew install bzip2), or decompress the dump first", code: "BZIP2_MISSING", cause: err})
            : err));
        source = child.stdout;
        // end the output only once bzip2 has exited cleanly, so a broken stream is never a short success
        source.pipe(out, {end: false});
        child.on("close", (code) => {
            if (code === 0) out.end();
            else fail(`bzip2 failed: ${stderr.trim().split("\n").pop() || `exit ${code}`}`);
        });
    } else {
        source = createReadStream(path);
        if (kind === "gzip") {
            const gunzip = createGunzip();
            gunzip.on("error", (err) => fail(`gzip stream broken: ${err.message}`, err));
            source.pipe(gunzip).pipe(out);
        } else {
            source.pipe(out);
        }
    }
    source.on("error", (err) => fail(err.message, err));
    return createInterface({input: out, crlfDelay: Infinity});
}
