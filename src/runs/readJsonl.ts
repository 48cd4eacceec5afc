import {existsSync} from "node:fs";
import type {z} from "zod";
import {DittoError} from "../errors/DittoError.js";
import {readTextFile} from "./readTextFile.js";

/** Reads a finished stage file of a run, validating each line; errors name the file and line. */
export function readJsonl<S extends z.ZodType>(path: string, schema: S): z.output<S>[] {
    if (!existsSync(path))
        throw new DittoError(`${path} not found`, {hint: "run `ditto generate` for this run folder first (it resumes where it stopped)", code: "RUN_FILE_MISSING"});
    const out: z.output<S>[] = [];
    readTextFile(path).split("\n").forEach((line, i) => {
        if (line.trim() === "") return;
        let value: unknown;
        try { value = JSON.parse(line); } catch (err) {
            throw new DittoError(`${path}:${i + 1}: not valid JSON`, {hint: "the run folder was edited or damaged; delete the file to redo its stage", code: "RUN_FILE_JSON", cause: err});
        }
        const res = schema.safeParse(value);
        if (!res.success) {
            const issue = res.error.issues[0]!;
            throw new DittoError(`${path}:${i + 1}: ${issue.path.join(".") || "(record)"}: ${issue.message}`,
                {hint: "the run folder was edited or made by another version; delete the file to redo its stage", code: "RUN_FILE_FIELD"});
        }
        out.push(res.data);
    });
    return out;
}
