import {z} from "zod";

/**
 * A character, in the Ditto paper's schema (method.md, stage 1) so imported data lines up:
 * label, description, aliases, claims ("property: value" lines, the paper's trans_claims),
 * summary, optional wiki article, language, category, plus a stable id and where it came from.
 */
export const characterSchema = z.strictObject({
    id: z.string().min(1),
    label: z.string().trim().min(1, "label (the character's name) must not be empty"),
    description: z.string().trim().min(1, "description (one line about the character) must not be empty"),
    aliases: z.array(z.string()).default([]),
    claims: z.array(z.string()).default([]),
    summary: z.string().default(""),
    wiki: z.strictObject({title: z.string(), content: z.string()}).optional(),
    lang: z.string().min(2).default("en"),
    category: z.string().default("unknown"),
    source: z.enum(["file", "elicit", "wikidata", "card"]).default("file"),
    /** popularity (Wikidata sitelinks) when known */
    popularity: z.number().optional()
});
export type Character = z.output<typeof characterSchema>;
