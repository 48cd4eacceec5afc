import {createHash} from "node:crypto";
import {closeSync, openSync, readSync} from "node:fs";

/** sha256 (hex) of a file read in 1 MB chunks: memory flat in the file's size. */
export function hashFileSync(path: string): string {
    const hash = createHash("sha256");
    const fd = openSync(path, "r");
    try {
        const chunk = Buffer.alloc(1 << 20);
        for (let position = 0; ;) {
            const n = readSync(fd, chunk, 0, chunk.length, position);
            if (n === 0) break;
            hash.update(chunk.subarray(0, n));
            position += n;
        }
    } finally {
        closeSync(fd);
    }
    return hash.digest("hex");
}
