import {mkdirSync, readdirSync, rmSync} from "node:fs";
import {join} from "node:path";

const created: string[] = [];

function holdsFiles(dir: string): boolean {
    try {
        return readdirSync(dir, {withFileTypes: true}).some((e) => !e.isDirectory() || holdsFiles(join(dir, e.name)));
    } catch {
        return true;
    }
}

/**
 * Output folders a command creates: `make` is `mkdir -p` that remembers the first folder it
 * created; after a failed command the CLI calls `removeEmpty`, so a failure never leaves an empty
 * output folder behind (a folder that holds any file, e.g. resumable work, is kept).
 */
export const outputDirs = {
    make(dir: string): void {
        const first = mkdirSync(dir, {recursive: true});
        if (first !== undefined) created.push(first);
    },
    removeEmpty(): string[] {
        const removed: string[] = [];
        for (const dir of created.splice(0).reverse()) {
            if (holdsFiles(dir)) continue;
            try { rmSync(dir, {recursive: true}); removed.push(dir); } catch { /* already gone or not ours to remove */ }
        }
        return removed;
    }
};
