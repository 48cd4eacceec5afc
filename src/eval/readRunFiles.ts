import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {characterSchema, type Character} from "../characters/characterSchema.js";
import {querySchema, type Query} from "../queries/querySchema.js";
import {DittoError} from "../errors/DittoError.js";

/** The records of a JSONL file, each validated; a bad line is an error naming `file:line: field: problem`. */
export function readJsonl<T>(path: string, parse: (value: unknown) => {success: true, data: T} | {success: false, error: {issues: {path: PropertyKey[], message: string}[]}}): T[] {
    const out: T[] = [];
    const lines = readFileSync(path, "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!.trim();
        if (line === "") continue;
        let value: unknown;
        try { value = JSON.parse(line); } catch (err) {
            throw new DittoError(`${path}:${i + 1}: not valid JSON`, {hint: "fix or delete that line", code: "EVAL_INPUT", cause: err});
        }
        const res = parse(value);
        if (!res.success) {
            const issue = res.error.issues[0]!;
            throw new DittoError(`${path}:${i + 1}: ${issue.path.map(String).join(".") || "(record)"}: ${issue.message}`, {hint: "fix that line", code: "EVAL_INPUT"});
        }
        out.push(res.data);
    }
    return out;
}

export type RunSplit = {train: string[], eval: string[]};

/** The held-out split recorded in `manifest.json` by the pipeline. */
export function readSplit(runDir: string): RunSplit {
    const path = join(runDir, "manifest.json");
    if (!existsSync(path))
        throw new DittoError(`${path} not found`, {hint: "run the data pipeline first (it records the train/eval split), or give an eval file with `ditto eval build --from FILE`", code: "EVAL_NO_SPLIT"});
    let manifest: {split?: {train?: unknown, eval?: unknown}};
    try { manifest = JSON.parse(readFileSync(path, "utf8")); } catch (err) {
        throw new DittoError(`${path}: not valid JSON`, {hint: "the run folder was damaged; re-run the pipeline", code: "EVAL_NO_SPLIT", cause: err});
    }
    const split = manifest.split;
    const ids = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
    if (!split || !ids(split.eval) || !ids(split.train ?? []))
        throw new DittoError(`${path}: split: expected {train: [character ids], eval: [character ids]}`, {hint: "re-run the pipeline's character stage, which records the split", code: "EVAL_NO_SPLIT"});
    if (split.eval.length === 0)
        throw new DittoError(`${path}: split.eval is empty: no held-out characters to evaluate on`, {hint: "set characters.held_out in the recipe above 0 and re-run the character stage", code: "EVAL_NO_SPLIT"});
    return {train: (split.train ?? []) as string[], eval: split.eval};
}

export function readCharacters(runDir: string): Character[] {
    const path = join(runDir, "characters.jsonl");
    if (!existsSync(path)) throw new DittoError(`${path} not found`, {hint: "run the character stage of the pipeline first", code: "EVAL_INPUT"});
    return readJsonl(path, (v) => characterSchema.safeParse(v));
}

/** The pipeline's queries, when it wrote them (held-out characters may have none). */
export function readQueries(runDir: string): Query[] {
    const path = join(runDir, "queries.jsonl");
    return existsSync(path) ? readJsonl(path, (v) => querySchema.safeParse(v)) : [];
}
