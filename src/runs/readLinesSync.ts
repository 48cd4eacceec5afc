import {closeSync, openSync, readSync, statSync} from "node:fs";
import {DittoError} from "../errors/DittoError.js";
import {fileSystemError} from "../errors/fileSystemError.js";

export type FileLine = {
    /** the line without its "\n" */
    text: string,
    /** 1-based */
    number: number,
    /** byte offset where the line starts */
    start: number,
    /** false for a last line without "\n" (e.g. half-written by a crash) */
    terminated: boolean
};

/** Opens a file the user gave; a folder or an unreadable path is an error naming the path. */
function openForReading(path: string): number {
    try {
        if (statSync(path).isDirectory())
            throw new DittoError(`${path} is a folder, not a file`, {hint: "give the path of a file inside it", code: "FS_EISDIR"});
        return openSync(path, "r");
    } catch (err) {
        if (err instanceof DittoError) throw err;
        throw fileSystemError(Object.assign(err as Error, {path: (err as {path?: string}).path ?? path})) ?? err;
    }
}

/**
 * The lines of a file, read in chunks: memory stays flat in the file's size (one chunk and the
 * longest line), and files past V8's largest string (~512 MB) read as well as small ones. A
 * leading UTF-8 byte order mark is not part of the first line.
 */
export function* readLinesSync(path: string, chunkBytes = 1 << 20): Generator<FileLine> {
    const fd = openForReading(path);
    try {
        const chunk = Buffer.alloc(chunkBytes);
        let carry = Buffer.alloc(0);
        let carryStart = 0, position = 0, number = 0;
        for (;;) {
            const n = readSync(fd, chunk, 0, chunkBytes, position);
            if (n === 0) break;
            position += n;
            let data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
            let from = 0;
            if (position === n && n >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) from = 3;  // BOM
            for (let nl = data.indexOf(10, from); nl >= 0; nl = data.indexOf(10, from)) {
                yield {text: data.toString("utf8", from, nl), number: ++number, start: carryStart + from, terminated: true};
                from = nl + 1;
            }
            carryStart += from;
            carry = Buffer.from(data.subarray(from));  // a copy: `chunk` is reused by the next read
            data = carry;
        }
        if (carry.length) yield {text: carry.toString("utf8"), number: ++number, start: carryStart, terminated: false};
    } finally {
        closeSync(fd);
    }
}
