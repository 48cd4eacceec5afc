import {readFileSync} from "node:fs";
import {DittoError} from "../errors/DittoError.js";
import type {EvalSession, EvalTurn} from "./evalSessionSchema.js";

/** Field names accepted for the per-turn rejection labels (1 / true: the character should refuse). */
const rejectionFields = ["rejection_labels", "rejection_label", "reject_labels", "rejection", "is_reject", "reject"];
const truthFields = ["role_consist_label", "role_consist_answer", "role_consist_truth"];

class FieldError extends Error {
    public constructor(public readonly field: string, problem: string) { super(problem); }
}

const text = (v: unknown): string | undefined =>
    typeof v === "string" ? v : v && typeof v === "object" && typeof (v as {content?: unknown}).content === "string" ? (v as {content: string}).content : undefined;

function strings(field: string, v: unknown): string[] {
    if (!Array.isArray(v)) throw new FieldError(field, `expected a list, got ${v === null ? "null" : typeof v}`);
    return v.map((x, i) => {
        const t = text(x);
        if (t === undefined) throw new FieldError(`${field}[${i}]`, "expected a string or {role, content}");
        return t;
    });
}

/** One list for the session, or one list per turn. */
function perTurn(field: string, v: unknown, turns: number): string[][] {
    if (!Array.isArray(v)) throw new FieldError(field, "expected a list");
    if (v.length > 0 && v.every(Array.isArray)) {
        if (v.length !== turns) throw new FieldError(field, `has ${v.length} lists for ${turns} prompts`);
        return v.map((x, i) => strings(`${field}[${i}]`, x));
    }
    const one = strings(field, v);
    return Array.from({length: turns}, () => one);
}

function bool(field: string, v: unknown): boolean {
    if (v === 1 || v === true || v === "1" || v === "true" || v === "yes") return true;
    if (v === 0 || v === false || v === "0" || v === "false" || v === "no") return false;
    throw new FieldError(field, `expected 1/0 or true/false, got ${JSON.stringify(v)}`);
}

function nameOf(candidate: string): string {
    return /^\s*\[([^\]]+)\]/.exec(candidate)?.[1]?.trim() ?? candidate.split(/[,:，：]/)[0]!.trim();
}

function parseRecord(rec: Record<string, unknown>, line: number): EvalSession {
    const meta = rec.meta && typeof rec.meta === "object" ? rec.meta as Record<string, unknown> : {};
    // the published files put some fields at the top level and some inside meta
    const get = (k: string) => rec[k] ?? meta[k];
    const system = text(get("system"));
    if (!system?.trim()) throw new FieldError("system", "expected the one-line system prompt (a non-empty string)");
    const prompts = strings("prompts", get("prompts"));
    if (prompts.length === 0) throw new FieldError("prompts", "expected at least one user question");
    const n = prompts.length;
    if (get("role_consist_cands") === undefined) throw new FieldError("role_consist_cands", "missing: the candidate characters for the consistency judge");
    const cands = perTurn("role_consist_cands", get("role_consist_cands"), n);
    cands.forEach((c, i) => { if (c.length < 2) throw new FieldError(`role_consist_cands[${i}]`, "expected at least 2 candidates"); });
    const rejField = rejectionFields.find((f) => get(f) !== undefined);
    if (!rejField) throw new FieldError("rejection_labels", `missing: per-prompt labels, 1 = should refuse (accepted names: ${rejectionFields.join(", ")})`);
    const rejRaw = get(rejField);
    if (!Array.isArray(rejRaw) || rejRaw.length !== n) throw new FieldError(rejField, `expected a list of ${n} labels (one per prompt)`);
    const refuse = rejRaw.map((v, i) => bool(`${rejField}[${i}]`, v));
    const evidence = get("evidence") === undefined ? prompts.map(() => []) : perTurn("evidence", get("evidence"), n);
    // reference answers: plain strings, or chat messages of which the assistant ones are the answers
    const refRaw = get("ref_messages");
    const refs = refRaw === undefined ? [] : strings("ref_messages", Array.isArray(refRaw) && refRaw.some((m) => m && typeof m === "object" && "role" in m)
        ? refRaw.filter((m) => (m as {role?: unknown})?.role === "assistant") : refRaw);

    const label = [meta.name, meta.label, meta.role, meta.character, rec.name, rec.label].find((v): v is string => typeof v === "string" && v.trim() !== "")
        ?? /^You are ([^,.，。]+)/.exec(system)?.[1]?.trim();
    const truthField = truthFields.find((f) => get(f) !== undefined);
    const truth = cands.map((c, i) => {
        if (truthField) {
            const t = get(truthField);
            const v = Array.isArray(t) ? t[i] : t;
            if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= c.length) throw new FieldError(truthField, `expected a candidate index 0..${c.length - 1}`);
            return v;
        }
        const at = label ? c.findIndex((x) => nameOf(x) === label) : -1;
        if (at < 0) throw new FieldError(`role_consist_cands[${i}]`, `no candidate is the session's character${label ? ` "${label}"` : ""}; give meta.name or ${truthFields[0]}`);
        return at;
    });
    const lang = typeof get("lang") === "string" ? get("lang") as string : typeof meta.language === "string" ? meta.language
        : /\p{Script=Han}/u.test(system + prompts.join("")) ? "zh" : "en";
    const id = String(get("id") ?? `wre-${line}`);
    const profile = [meta.profile, meta.summary, meta.description, rec.profile].find((v): v is string => typeof v === "string") ?? system;
    const turns: EvalTurn[] = prompts.map((question, i) => ({
        id: `${id}-t${i}`, question, provenance: refuse[i] ? "partner" : "own", gold: refuse[i] ? "refuse" : "answer",
        evidence: evidence[i]!, candidates: cands[i]!, truth: truth[i]!,
        ...(refs[i] !== undefined ? {reference: refs[i]} : {})
    }));
    return {id, character: String(meta.id ?? label ?? id), label: label ?? id, lang, system, profile, source: "wikiroleeval", turns};
}

/**
 * Reads a WikiRoleEval JSONL file as published (fields system, prompts, ref_messages,
 * role_consist_cands, rejection labels, evidence, meta; each at the top level or inside meta).
 * A malformed line is an error naming `file:line: field: problem`.
 */
export function importWikiRoleEval(path: string): EvalSession[] {
    let content: string;
    try { content = readFileSync(path, "utf8"); } catch (err) {
        throw new DittoError(`${path}: cannot read: ${err instanceof Error ? err.message : String(err)}`, {hint: "check the path given to --from", code: "EVAL_INPUT", cause: err});
    }
    const out: EvalSession[] = [];
    const seen = new Set<string>();
    content.split("\n").forEach((raw, i) => {
        if (raw.trim() === "") return;
        let rec: unknown;
        try { rec = JSON.parse(raw); } catch (err) {
            throw new DittoError(`${path}:${i + 1}: not valid JSON`, {hint: "each line must be one JSON object", code: "EVAL_FORMAT", cause: err});
        }
        try {
            if (!rec || typeof rec !== "object" || Array.isArray(rec)) throw new FieldError("(line)", "expected a JSON object");
            const s = parseRecord(rec as Record<string, unknown>, i + 1);
            if (seen.has(s.id)) {
                s.id = `${s.id}-${i + 1}`;
                s.turns.forEach((t, k) => { t.id = `${s.id}-t${k}`; });
            }
            seen.add(s.id);
            out.push(s);
        } catch (err) {
            if (!(err instanceof FieldError)) throw err;
            throw new DittoError(`${path}:${i + 1}: ${err.field}: ${err.message}`, {hint: "fix that line of the eval file", code: "EVAL_FORMAT"});
        }
    });
    if (out.length === 0) throw new DittoError(`${path}: no sessions in the file`, {hint: "give a WikiRoleEval JSONL file, one session per line", code: "EVAL_FORMAT"});
    return out;
}
