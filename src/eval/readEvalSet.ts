import {existsSync} from "node:fs";
import {DittoError} from "../errors/DittoError.js";
import {evalSessionSchema, type EvalSession} from "./evalSessionSchema.js";
import {readJsonl} from "./readRunFiles.js";

/** eval/evalset.jsonl, validated line by line. */
export function readEvalSet(path: string): EvalSession[] {
    if (!existsSync(path))
        throw new DittoError(`${path} not found`, {hint: "build the eval set first: `ditto eval build --run R` (or `ditto eval --run R` for all stages)", code: "EVAL_NO_SET"});
    const sessions = readJsonl(path, (v) => evalSessionSchema.safeParse(v));
    if (sessions.length === 0) throw new DittoError(`${path} has no sessions`, {hint: "rebuild it with `ditto eval build --run R`", code: "EVAL_NO_SET"});
    return sessions;
}
