import {open, rename, unlink} from "node:fs/promises";
import {dirname} from "node:path";
import {outputDirs} from "./outputDirs.js";

/**
 * Appends bytes to the file being written; resolves once the previous bytes are written and these
 * are on their way, so the producer makes the next bytes while these go to disk. The producer must
 * not change the bytes afterwards.
 */
export type AsyncByteSink = (bytes: Uint8Array) => Promise<void>;

/**
 * writeFileAtomic with the writes off the main thread: the file's real name only ever holds a
 * whole file (bytes go to `path + ".partial"`, fsynced and renamed into place), and one write at
 * a time runs while `produce` computes, so a producer that is as slow as the disk costs about the
 * slower of the two rather than their sum. If `produce` or a write fails, the partial file is
 * removed and the error passes through; a file already at `path` is left as it was.
 */
export async function writeFileAtomicAsync(path: string, produce: (write: AsyncByteSink) => Promise<void>): Promise<void> {
    outputDirs.make(dirname(path));
    const partial = path + ".partial";
    const file = await open(partial, "w");
    let inFlight: Promise<void> = Promise.resolve();
    const writeAll = async (bytes: Uint8Array) => {
        let done = 0;
        while (done < bytes.length) done += (await file.write(bytes, done, Math.min(bytes.length - done, 1 << 28))).bytesWritten;
    };
    try {
        await produce(async (bytes) => {
            await inFlight;
            inFlight = writeAll(bytes);
            // a failure is reported by the next write or the end, not as an unhandled rejection
            inFlight.catch(() => {});
        });
        await inFlight;
        await file.sync();
    } catch (err) {
        await inFlight.catch(() => {});
        await file.close();
        try { await unlink(partial); } catch { /* already gone */ }
        throw err;
    }
    await file.close();
    await rename(partial, path);
}
