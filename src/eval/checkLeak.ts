import {existsSync} from "node:fs";
import {readLinesSync} from "../runs/readLinesSync.js";
import {join} from "node:path";
import type {Character} from "../characters/characterSchema.js";
import {DittoError} from "../errors/DittoError.js";

export type Leak = {file: string, line: number, character: string, where: string};

/**
 * Held-out characters must never reach training: a held-out id in a record's character field, or
 * its label in any message of `dataset.jsonl` or `sessions.jsonl` (its own session, or its
 * questions asked as partner questions of a training character), makes the evaluation measure
 * memorisation, so it is an error. Labels shorter than 3 characters (2 in CJK scripts) are only
 * matched by id (too many false hits).
 */
export function findLeaks(runDir: string, heldOut: readonly Character[]): Leak[] {
    const ids = new Map(heldOut.map((c) => [c.id, c]));
    const matcher = labelMatcher(heldOut);
    const leaks: Leak[] = [];
    for (const name of ["dataset.jsonl", "sessions.jsonl"]) {
        const path = join(runDir, name);
        if (!existsSync(path)) continue;
        for (const {text: line, number} of readLinesSync(path)) {
            if (line.trim() === "") continue;
            let rec: Record<string, unknown>;
            try { rec = JSON.parse(line); } catch { continue; }
            const meta = (rec.meta ?? {}) as Record<string, unknown>;
            for (const field of [rec.character, meta.character]) {
                const hit = typeof field === "string" ? ids.get(field) : undefined;
                if (hit) leaks.push({file: name, line: number, character: hit.label, where: `character id "${hit.id}"`});
            }
            const texts: {where: string, text: string}[] = [];
            if (typeof rec.system === "string") texts.push({where: "system prompt", text: rec.system});
            for (const m of (Array.isArray(rec.messages) ? rec.messages : []) as {role?: string, content?: string}[])
                if (typeof m?.content === "string") texts.push({where: `${m.role ?? "?"} message`, text: m.content});
            for (const t of (Array.isArray(rec.turns) ? rec.turns : []) as {question?: string, answer?: string}[])
                texts.push({where: "turn", text: `${t?.question ?? ""}\n${t?.answer ?? ""}`});
            // each label once per line, at the first text that mentions it, in held-out order
            const firstText = new Map<number, string>();
            for (const t of texts) for (const i of matcher(t.text)) if (!firstText.has(i)) firstText.set(i, t.where);
            for (const i of [...firstText.keys()].sort((x, y) => x - y))
                leaks.push({file: name, line: number, character: heldOut[i]!.label, where: `label in a ${firstText.get(i)}`});
        }
    }
    return leaks;
}

const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const wordChar = /[\p{L}\p{N}]/u;

/** The code point ending just before `i` (a surrogate pair read whole). */
function charBefore(text: string, i: number): string {
    if (i <= 0) return "";
    const low = text.charCodeAt(i - 1);
    return low >= 0xdc00 && low <= 0xdfff && i >= 2 ? text.slice(i - 2, i) : text[i - 1]!;
}

/**
 * Finds which labels a text mentions, in time linear in the text times the number of distinct
 * label lengths (a map lookup per position and length), so the check scales to many held-out
 * characters: a CJK label anywhere (no word boundaries in those scripts), another label as a
 * whole word (no letter or digit either side). Labels shorter than 3 characters (2 in CJK) are
 * never matched. Returns indexes into `heldOut`.
 */
function labelMatcher(heldOut: readonly Character[]): (text: string) => Set<number> {
    const word = new Map<string, number[]>(), han = new Map<string, number[]>();
    heldOut.forEach((c, i) => {
        const isCjk = cjk.test(c.label);
        if (c.label.length < (isCjk ? 2 : 3)) return;
        const labels = isCjk ? han : word;
        const same = labels.get(c.label);
        if (same) same.push(i); else labels.set(c.label, [i]);
    });
    const lengths = (labels: Map<string, number[]>) => [...new Set([...labels.keys()].map((l) => l.length))];
    const wordLengths = lengths(word), hanLengths = lengths(han);
    return (text) => {
        const found = new Set<number>();
        for (let p = 0; p < text.length; p++) {
            for (const n of hanLengths) for (const i of han.get(text.slice(p, p + n)) ?? []) found.add(i);
            if (wordChar.test(charBefore(text, p))) continue;
            for (const n of wordLengths) {
                const hits = word.get(text.slice(p, p + n));
                if (!hits) continue;
                const next = text.codePointAt(p + n);
                if (next === undefined || !wordChar.test(String.fromCodePoint(next))) for (const i of hits) found.add(i);
            }
        }
        return found;
    };
}

/** Throws when any held-out character leaked into the training data. */
export function assertNoLeak(runDir: string, heldOut: readonly Character[]): void {
    const leaks = findLeaks(runDir, heldOut);
    if (leaks.length === 0) return;
    const shown = leaks.slice(0, 5).map((l) => `${l.file}:${l.line}: held-out character "${l.character}" (${l.where})`).join("\n  ");
    throw new DittoError(`${leaks.length} leak${leaks.length === 1 ? "" : "s"} of held-out characters into the training data:\n  ${shown}${leaks.length > 5 ? `\n  ... and ${leaks.length - 5} more` : ""}`, {
        hint: "held-out characters (manifest.json split.eval) must not be in dataset.jsonl or sessions.jsonl: re-run the pipeline's session stage so it excludes them, or choose other held-out characters",
        code: "EVAL_LEAK"
    });
}
