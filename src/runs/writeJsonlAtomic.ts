import {closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync} from "node:fs";
import {writeError} from "./JsonlStore.js";

/** Writes a whole JSONL file at once: a temporary file, fsync, rename, so readers never see half a file. */
export function writeJsonlAtomic(path: string, records: readonly unknown[]): void {
    writeTextAtomic(path, records.map((r) => JSON.stringify(r) + "\n").join(""));
}

export function writeTextAtomic(path: string, text: string): void {
    const tmp = `${path}.tmp`;
    try {
        writeFileSync(tmp, text);
        const fd = openSync(tmp, "r+");
        try { fsyncSync(fd); } finally { closeSync(fd); }
        renameSync(tmp, path);
    } catch (err) {
        rmSync(tmp, {force: true});
        throw writeError(path, err);
    }
}
