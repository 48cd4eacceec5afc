import {existsSync, unlinkSync, writeFileSync} from "node:fs";
import {JsonlStore} from "../runs/JsonlStore.js";

/**
 * Opens a stage's JSONL store for appending even when it was finalized (a later evaluation adds
 * the adapter's answers to a base-only one), keeping only the records `keep` accepts (records of
 * another model, adapter or judge are dropped so they are made again). The kept records go back
 * to the `.partial` file; a crash in between leaves the final file, and the next call does it again.
 */
export function reopenStore<T extends {id: string}>(path: string, parse: (v: unknown) => T, keep: (record: T) => boolean): JsonlStore<T> {
    const store = JsonlStore.open<T>(path, {parse});
    const records = store.values();
    const kept = records.filter(keep);
    if (!store.complete && kept.length === records.length) return store;
    writeFileSync(path + ".partial", kept.map((r) => JSON.stringify(r) + "\n").join(""));
    if (existsSync(path)) unlinkSync(path);
    return JsonlStore.open<T>(path, {parse});
}
