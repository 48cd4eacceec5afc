import type {Character} from "../characters/characterSchema.js";

export type CardOptions = {
    /** the one-line system prompt the adapter was trained with */
    system: string,
    /** trained exchanges shown as the card's example dialogues */
    examples?: readonly {question: string, answer: string}[],
    /** where the card came from, for the creator's notes */
    run?: string,
    model?: string,
    adapter?: string
};

/** A character card V2 (chara_card_v2) object. */
export type CardV2 = {spec: "chara_card_v2", spec_version: "2.0", data: Record<string, unknown>};

const claimValue = (claims: readonly string[], property: string) =>
    claims.find((c) => c.toLowerCase().startsWith(`${property}: `))?.slice(property.length + 2) ?? "";

/**
 * A trained character as a V2 card for role-play front-ends: its system prompt is the trained line;
 * description, personality, scenario, lorebook and tags are the inverse of cardToCharacter's
 * mapping, and extensions.ditto carries the profile itself, so importing the card gives it back.
 */
export function characterToCard(c: Character, options: CardOptions): CardV2 {
    const reserved = new Set(["personality", "scenario", "tags"]);
    const book = c.claims.filter((claim) => !reserved.has(claim.split(":")[0]!.trim().toLowerCase()));
    const tags = claimValue(c.claims, "tags").split(",").map((t) => t.trim()).filter(Boolean);
    const notes = [`Trained with ditto${options.run ? ` (run ${options.run})` : ""}.`,
        options.model ? `Load the base model ${options.model}${options.adapter ? ` with the LoRA adapter ${options.adapter}` : ""}.` : "",
        "The system prompt is the one the adapter was trained with; keep it for the character to hold."].filter(Boolean).join(" ");
    return {
        spec: "chara_card_v2",
        spec_version: "2.0",
        data: {
            name: c.label,
            description: [c.description, c.summary.trim()].filter(Boolean).join("\n\n"),
            personality: claimValue(c.claims, "personality"),
            scenario: claimValue(c.claims, "scenario"),
            first_mes: "",
            mes_example: (options.examples ?? []).map((e) => `<START>\n{{user}}: ${e.question}\n{{char}}: ${e.answer}`).join("\n"),
            creator_notes: notes,
            system_prompt: options.system,
            post_history_instructions: "",
            alternate_greetings: [],
            ...(book.length ? {character_book: {extensions: {}, entries: book.map((claim, i) => ({
                keys: [claim.split(":")[0]!.trim()], content: claim, extensions: {}, enabled: true, insertion_order: i}))}} : {}),
            tags,
            creator: "ditto",
            character_version: "1",
            extensions: {ditto: {profile: c, system: options.system, ...(options.run ? {run: options.run} : {}),
                ...(options.model ? {model: options.model} : {}), ...(options.adapter ? {adapter: options.adapter} : {})}}
        }
    };
}
