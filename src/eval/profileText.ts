import type {Character} from "../characters/characterSchema.js";

/**
 * A character's profile as one text for the knowledge judge: label, description, aliases, claims,
 * summary, then the article, cut at `maxChars` so it fits the judge's context.
 */
export function profileText(character: Character, maxChars = 6000): string {
    const parts = [`Name: ${character.label}`, `Description: ${character.description}`];
    if (character.aliases.length > 0) parts.push(`Also known as: ${character.aliases.join(", ")}`);
    if (character.claims.length > 0) parts.push("Facts:\n" + character.claims.map((c) => `- ${c}`).join("\n"));
    if (character.summary) parts.push(`Summary: ${character.summary}`);
    if (character.wiki?.content) parts.push(`Article: ${character.wiki.content}`);
    const text = parts.join("\n");
    return text.length <= maxChars ? text : text.slice(0, maxChars) + " ...";
}
