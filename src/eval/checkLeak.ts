import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import type {Character} from "../characters/characterSchema.js";
import {DittoError} from "../errors/DittoError.js";

export type Leak = {file: string, line: number, character: string, where: string};

function escape(s: string) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

/**
 * Held-out characters must never reach training: a held-out id in a record's character field, or
 * its label in any message of `dataset.jsonl` or `sessions.jsonl` (its own session, or its
 * questions asked as partner questions of a training character), makes the evaluation measure
 * memorisation, so it is an error. Labels shorter than 3 characters (2 in CJK scripts) are only
 * matched by id (too many false hits).
 */
export function findLeaks(runDir: string, heldOut: readonly Character[]): Leak[] {
    const ids = new Map(heldOut.map((c) => [c.id, c]));
    const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
    const labels = heldOut.filter((c) => c.label.length >= (cjk.test(c.label) ? 2 : 3)).map((c) => ({
        c, re: cjk.test(c.label)
            ? new RegExp(escape(c.label), "u") // no word boundaries in CJK text
            : new RegExp(`(?<![\\p{L}\\p{N}])${escape(c.label)}(?![\\p{L}\\p{N}])`, "u")
    }));
    const leaks: Leak[] = [];
    for (const name of ["dataset.jsonl", "sessions.jsonl"]) {
        const path = join(runDir, name);
        if (!existsSync(path)) continue;
        const lines = readFileSync(path, "utf8").split("\n");
        lines.forEach((line, i) => {
            if (line.trim() === "") return;
            let rec: Record<string, unknown>;
            try { rec = JSON.parse(line); } catch { return; }
            const meta = (rec.meta ?? {}) as Record<string, unknown>;
            for (const field of [rec.character, meta.character]) {
                const hit = typeof field === "string" ? ids.get(field) : undefined;
                if (hit) leaks.push({file: name, line: i + 1, character: hit.label, where: `character id "${hit.id}"`});
            }
            const texts: {where: string, text: string}[] = [];
            if (typeof rec.system === "string") texts.push({where: "system prompt", text: rec.system});
            for (const m of (Array.isArray(rec.messages) ? rec.messages : []) as {role?: string, content?: string}[])
                if (typeof m?.content === "string") texts.push({where: `${m.role ?? "?"} message`, text: m.content});
            for (const t of (Array.isArray(rec.turns) ? rec.turns : []) as {question?: string, answer?: string}[])
                texts.push({where: "turn", text: `${t?.question ?? ""}\n${t?.answer ?? ""}`});
            for (const {c, re} of labels) {
                const found = texts.find((t) => re.test(t.text));
                if (found) leaks.push({file: name, line: i + 1, character: c.label, where: `label in a ${found.where}`});
            }
        });
    }
    return leaks;
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
