import {CardError} from "./CardError.js";
import {cardDataSchema, type CardData} from "./cardSchema.js";

export type ParsedCard = {spec: "v1" | "v2" | "v3", data: CardData};

/**
 * A card's JSON in any of its versions: V2 (`spec: "chara_card_v2"`) and V3 (`chara_card_v3`)
 * keep the fields under `data`; V1 has them at the top level (the older Pygmalion names
 * char_name, char_persona, world_scenario, char_greeting, example_dialogue are read too).
 */
export function parseCard(value: unknown): ParsedCard {
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new CardError("the card JSON is not an object");
    const v = value as Record<string, unknown>;
    let spec: ParsedCard["spec"];
    let raw: unknown;
    if (v.spec === "chara_card_v2" || v.spec === "chara_card_v3") {
        spec = v.spec === "chara_card_v2" ? "v2" : "v3";
        raw = v.data;
        if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new CardError(`data: missing (a ${v.spec} card keeps its fields under "data")`);
    } else if (v.spec !== undefined) {
        throw new CardError(`spec: ${JSON.stringify(v.spec)} is not a card version ditto reads (chara_card_v2, chara_card_v3, or none for V1)`);
    } else {
        spec = "v1";
        if (!["first_mes", "mes_example", "personality", "scenario", "char_name", "char_persona", "char_greeting", "example_dialogue"].some((k) => typeof v[k] === "string"))
            throw new CardError("not a character card: no spec, and none of a V1 card's fields (first_mes, mes_example, personality, scenario)");
        raw = {name: v.name ?? v.char_name, description: v.description ?? v.char_persona, personality: v.personality, scenario: v.scenario ?? v.world_scenario,
            first_mes: v.first_mes ?? v.char_greeting, mes_example: v.mes_example ?? v.example_dialogue, creator_notes: v.creator_notes ?? v.creatorcomment, tags: v.tags};
    }
    const res = cardDataSchema.safeParse(raw);
    if (!res.success) {
        const issue = res.error.issues[0]!;
        const field = issue.path.join(".") || "(card)";
        throw new CardError(`${spec === "v1" ? "" : "data."}${field}: ${issue.code === "invalid_type" && !issue.message.startsWith("missing") ? `expected ${issue.expected}` : issue.message}`);
    }
    return {spec, data: res.data};
}
