import {appendFileSync, closeSync, existsSync, fsyncSync, openSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync} from "node:fs";
import {readLinesSync} from "./readLinesSync.js";
import {DittoError} from "../errors/DittoError.js";
import {fileSystemError} from "../errors/fileSystemError.js";

/**
 * An append-only JSONL file of records with a stable `id`, made for resumable stages.
 *
 * While a stage runs, records go to `<path>.partial`, one line each, appended as soon as they are
 * finished, so a crash loses at most the line being written. Reopening discards a half-written last
 * line and knows which ids are done, so a restart skips them. `finalize()` renames the file into
 * place: a stage's output exists under its real name only once it is complete.
 */
export class JsonlStore<T extends {id: string}> {
    private readonly records = new Map<string, T>();
    private pendingSync = 0;

    private constructor(public readonly path: string, public readonly partialPath: string, public readonly complete: boolean) {}

    /** Opens the finished file if it exists, else the partial one (created if missing). */
    public static open<T extends {id: string}>(path: string, options: {parse?: (value: unknown, line: number) => T} = {}): JsonlStore<T> {
        const partial = path + ".partial";
        const complete = existsSync(path);
        const store = new JsonlStore<T>(path, partial, complete);
        const file = complete ? path : partial;
        if (!existsSync(file)) {
            writeFileSync(partial, "");
            return store;
        }
        for (const {text: line, number, start, terminated} of readLinesSync(file)) {
            if (!terminated) {
                // a half-written last line from a crash: drop it (its record will be made again)
                if (!complete) truncateSync(file, start);
                break;
            }
            if (line.trim() === "") continue;
            let value: unknown;
            try {
                value = JSON.parse(line);
            } catch (err) {
                throw new DittoError(`${file}:${number}: not valid JSON`, {
                    hint: "the run folder was edited or damaged; delete that line (or the file, to redo the stage) and run again", cause: err});
            }
            const record = options.parse ? options.parse(value, number) : value as T;
            if (typeof record?.id !== "string")
                throw new DittoError(`${file}:${number}: record has no string id`, {hint: "delete that line and run again"});
            store.records.set(record.id, record);
        }
        return store;
    }

    public has(id: string): boolean { return this.records.has(id); }
    public get(id: string): T | undefined { return this.records.get(id); }
    public get size(): number { return this.records.size; }
    public values(): T[] { return [...this.records.values()]; }

    /** Appends one finished record; a record whose id is already stored is ignored (idempotent restarts). */
    public append(record: T): boolean {
        if (this.complete) throw new Error(`${this.path} is final; cannot append`);
        if (this.records.has(record.id)) return false;
        this.records.set(record.id, record);
        try {
            appendFileSync(this.partialPath, JSON.stringify(record) + "\n");
        } catch (err) {
            this.records.delete(record.id);
            throw writeError(this.partialPath, err);
        }
        if (++this.pendingSync >= 64) this.sync();
        return true;
    }

    /** Flushes to disk (called every 64 records and on finalize). */
    public sync(): void {
        this.pendingSync = 0;
        if (!existsSync(this.partialPath)) return;
        const fd = openSync(this.partialPath, "r+");
        try { fsyncSync(fd); } finally { closeSync(fd); }
    }

    /**
     * Makes the stage's output final: rewrites the records in `order` (default: insertion order) and
     * renames into place atomically. Deterministic order means an interrupted and resumed run ends with
     * the same file as an uninterrupted one.
     */
    public finalize(order?: (a: T, b: T) => number): void {
        if (this.complete) return;
        const records = this.values();
        if (order) records.sort(order);
        const tmp = this.path + ".tmp";
        try {
            writeFileSync(tmp, records.map((r) => JSON.stringify(r) + "\n").join(""));
            const fd = openSync(tmp, "r+");
            try { fsyncSync(fd); } finally { closeSync(fd); }
            renameSync(tmp, this.path);
        } catch (err) {
            throw writeError(this.path, err);
        }
        if (existsSync(this.partialPath) && statSync(this.partialPath).isFile()) unlinkSync(this.partialPath);
    }
}

export function writeError(path: string, err: unknown): DittoError {
    const code = (err as {code?: string})?.code;
    if (code === "ENOSPC")
        return new DittoError(`${path}: the disk is full`, {hint: "free disk space and run the same command again: finished records are kept and the run resumes", code: "DISK_FULL", cause: err});
    if (code === "EACCES" || code === "EPERM" || code === "EROFS")
        return new DittoError(`${path}: cannot write here (${code})`, {hint: "choose a run folder you can write to (--run DIR)", code: "NOT_WRITABLE", cause: err});
    return fileSystemError(err) ?? new DittoError(`${path}: write failed: ${err instanceof Error ? err.message : String(err)}`, {cause: err});
}
