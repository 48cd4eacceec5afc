import {renameSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import type {EvalSession} from "./evalSessionSchema.js";
import {outputDirs} from "../runs/outputDirs.js";

/** Writes `eval/evalset.jsonl` atomically (temp file, then rename). */
export function writeEvalSet(runDir: string, sessions: EvalSession[]): string {
    const dir = join(runDir, "eval");
    outputDirs.make(dir);
    const path = join(dir, "evalset.jsonl");
    writeFileSync(path + ".tmp", sessions.map((s) => JSON.stringify(s) + "\n").join(""));
    renameSync(path + ".tmp", path);
    return path;
}
