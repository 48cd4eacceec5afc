import {characterId} from "./characterId.js";

/**
 * Accepts the shapes profiles come in before validation: the paper's `trans_claims` for `claims`,
 * `name` for `label`, claims as a {property: value} object, a single alias as a string; fills a
 * missing id with the hash of label and language. Anything else is left for the schema to judge.
 */
export function normalizeCharacterInput(raw: unknown): unknown {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
    const r: Record<string, unknown> = {...raw as Record<string, unknown>};
    if (r.claims === undefined && r.trans_claims !== undefined) { r.claims = r.trans_claims; delete r.trans_claims; }
    if (r.label === undefined && typeof r.name === "string") { r.label = r.name; delete r.name; }
    if (r.claims !== null && typeof r.claims === "object" && !Array.isArray(r.claims))
        r.claims = Object.entries(r.claims as Record<string, unknown>).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`);
    if (typeof r.aliases === "string") r.aliases = [r.aliases];
    if (r.id === undefined && typeof r.label === "string" && r.label.trim() !== "")
        r.id = characterId(r.label, typeof r.lang === "string" ? r.lang : "en");
    return r;
}
