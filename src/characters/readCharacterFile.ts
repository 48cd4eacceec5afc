import {existsSync} from "node:fs";
import {extname} from "node:path";
import {isMap, isSeq, LineCounter, parseDocument, type Document, type Node} from "yaml";
import {DittoError} from "../errors/DittoError.js";
import {characterSchema, type Character} from "./characterSchema.js";
import type {CharacterProblem} from "./CharacterProblem.js";
import {normalizeCharacterInput} from "./normalizeCharacterInput.js";
import {readTextFile} from "../runs/readTextFile.js";

export type CharacterFileResult = {characters: Character[], problems: CharacterProblem[]};

/**
 * Reads a profile file: JSONL (one record a line), a JSON array, or YAML (a list, or a map with a
 * `characters:` list). Every record is validated on its own: a bad one becomes a problem with its
 * line and field while the good ones are kept, so one typo never costs the whole file.
 */
export function readCharacterFile(file: string): CharacterFileResult {
    if (!existsSync(file))
        throw new DittoError(`${file}: profile file not found`, {hint: "check the path (recipe paths are relative to the recipe file)", code: "CHARACTERS_MISSING"});
    const text = readTextFile(file);
    if (text.trim() === "")
        throw new DittoError(`${file}: the profile file is empty`, {hint: "write at least one profile in it (label and description), or remove it from the list", code: "CHARACTERS_EMPTY"});
    const ext = extname(file).toLowerCase();
    const items: {value: unknown, line: number, fieldLine: (path: (string | number)[]) => number}[] = [];
    const problems: CharacterProblem[] = [];
    if (ext === ".jsonl" || ext === ".ndjson") {
        text.split("\n").forEach((lineText, i) => {
            if (lineText.trim() === "") return;
            try {
                items.push({value: JSON.parse(lineText), line: i + 1, fieldLine: () => i + 1});
            } catch (err) {
                problems.push({file, line: i + 1, field: "(line)", problem: `not valid JSON (${err instanceof Error ? err.message : String(err)})`});
            }
        });
    } else if (ext === ".json" || ext === ".yaml" || ext === ".yml") {
        // YAML is a superset of JSON, and its parser keeps source positions, so both formats get line numbers
        const lc = new LineCounter();
        const doc = parseDocument(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: false});
        if (doc.errors.length > 0) {
            const e = doc.errors[0]!;
            throw new DittoError(`${file}:${lc.linePos(e.pos[0]).line}:${lc.linePos(e.pos[0]).col}: not valid ${ext === ".json" ? "JSON" : "YAML"}: ${e.message.split("\n")[0]}`,
                {hint: "fix the syntax; each record is then checked on its own", code: "CHARACTERS_SYNTAX"});
        }
        let list: Node | null | undefined = doc.contents as Node | null;
        let listPath: string[] = [];
        if (isMap(list) && isSeq(list.get("characters", true))) { list = list.get("characters", true) as Node; listPath = ["characters"]; }
        if (!isSeq(list))
            throw new DittoError(`${file}: expected a list of characters (or a map with a "characters:" list)`,
                {hint: "write [{\"label\": ..., \"description\": ...}, ...] in JSON, or a YAML list", code: "CHARACTERS_SHAPE"});
        const lineOf = (d: Document, path: (string | number)[]): number | undefined => {
            const node = d.getIn(path, true) as {range?: [number, number, number]} | undefined;
            return node?.range ? lc.linePos(node.range[0]).line : undefined;
        };
        list.items.forEach((_, index) => {
            const base = [...listPath, index];
            const line = lineOf(doc, base) ?? 1;
            items.push({value: doc.getIn(base) && (doc.getIn(base, true) as Node).toJSON(), line,
                fieldLine: (path) => lineOf(doc, [...base, ...path]) ?? line});
        });
    } else {
        throw new DittoError(`${file}: unknown profile file type "${ext || "(none)"}"`, {hint: "use .jsonl, .json, .yaml or .yml", code: "CHARACTERS_TYPE"});
    }
    const characters: Character[] = [];
    const seen = new Map<string, number>();
    for (const item of items) {
        const res = characterSchema.safeParse(normalizeCharacterInput(item.value));
        if (!res.success) {
            const labelBad = res.error.issues.some((i) => i.path[0] === "label");
            for (const issue of res.error.issues) {
                // a missing id only follows from a bad label: report the cause once
                if (labelBad && issue.path[0] === "id") continue;
                const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
                const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
                problems.push({file, line: item.fieldLine(keys.length ? [keys[0]!] : path), field: keys.length ? keys.join(", ") : path.join(".") || "(record)",
                    problem: keys.length ? "unknown field (known: label, description, aliases, claims, summary, wiki, lang, category, id)"
                        : issue.code === "invalid_type" && issue.message.endsWith("received undefined") ? "required" : issue.message});
            }
            continue;
        }
        const first = seen.get(res.data.id);
        if (first !== undefined) {
            problems.push({file, line: item.line, field: "id", problem: `duplicate id "${res.data.id}" (first on line ${first})`});
            continue;
        }
        seen.set(res.data.id, item.line);
        characters.push(res.data);
    }
    return {characters, problems};
}
