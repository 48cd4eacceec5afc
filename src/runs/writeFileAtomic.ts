import {closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync} from "node:fs";
import {dirname} from "node:path";
import {outputDirs} from "./outputDirs.js";

/** Appends bytes to the file being written. */
export type ByteSink = (bytes: Uint8Array) => void;

/**
 * Writes a binary file so that its real name only ever holds a whole file: the bytes go to
 * `path + ".partial"`, which is fsynced and renamed into place. If `produce` or a write throws
 * (a producer error, a full disk), the partial file is removed and the error passes through; a
 * file already at `path` is left as it was.
 */
export function writeFileAtomic(path: string, produce: (write: ByteSink) => void): void {
    outputDirs.make(dirname(path));
    const partial = path + ".partial";
    const fd = openSync(partial, "w");
    try {
        produce((bytes) => {
            let done = 0;
            while (done < bytes.length) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 28));
        });
        fsyncSync(fd);
    } catch (err) {
        closeSync(fd);
        try { unlinkSync(partial); } catch { /* already gone */ }
        throw err;
    }
    closeSync(fd);
    renameSync(partial, path);
}
