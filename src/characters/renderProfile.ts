import type {Character} from "./characterSchema.js";

/**
 * The profile as the model reads it (method.md 2b: label, description, aliases, claims, summary,
 * article), cut to `maxChars` so it fits the context; the article goes last since it is the part
 * most worth losing.
 */
export function renderProfile(c: Character, maxChars: number): string {
    const parts = [`Name: ${c.label}`, `Description: ${c.description}`];
    if (c.aliases.length) parts.push(`Also known as: ${c.aliases.join(", ")}`);
    if (c.claims.length) parts.push(`Facts:\n${c.claims.map((x) => `- ${x}`).join("\n")}`);
    if (c.summary.trim()) parts.push(`Summary: ${c.summary.trim()}`);
    if (c.wiki?.content.trim()) parts.push(`Article (${c.wiki.title}):\n${c.wiki.content.trim()}`);
    const text = parts.join("\n");
    return text.length <= maxChars ? text : text.slice(0, Math.max(0, maxChars - 1)).trimEnd() + "…";
}
