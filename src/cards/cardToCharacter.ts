import {characterId} from "../characters/characterId.js";
import {characterSchema, type Character} from "../characters/characterSchema.js";
import {CardError} from "./CardError.js";
import type {ParsedCard} from "./parseCard.js";
import {stripMacros} from "./stripMacros.js";

/** Longest one-line description; a card's first paragraph past this is cut to its first sentence. */
const descriptionChars = 300;

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

/**
 * A card as a ditto profile (docs/formats.md, "Character cards"): name -> label, nickname ->
 * aliases, the description's first paragraph (or sentence) -> description and the rest ->
 * summary, personality / scenario / lorebook entries / tags -> claims, first message, greetings,
 * example dialogues and creator's notes -> wiki (the part of a profile cut first when it is too
 * long). A card ditto exported carries its profile in extensions.ditto and gives it back as it was.
 */
export function cardToCharacter(card: ParsedCard, options: {lang?: string} = {}): Character {
    const d = card.data;
    const own = (d.extensions?.ditto as {profile?: unknown} | undefined)?.profile;
    if (own !== undefined) {
        const res = characterSchema.safeParse(own);
        if (res.success) return res.data;
    }
    const name = stripMacros(d.name, d.name.trim()).replace(/\s+/g, " ");
    if (!name) throw new CardError("data.name: empty once its macros are removed");
    const strip = (s: string) => stripMacros(s, name);

    const paragraphs = strip(d.description).split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
    let description = oneLine(paragraphs[0] ?? "");
    let rest = paragraphs.slice(1);
    if (description.length > descriptionChars) {
        // the first sentence if it is short enough, else the first words; what is cut goes to the summary
        const sentence = /^.+?[.!?。！？](?=\s|$)/u.exec(description)?.[0];
        const head = sentence && sentence.length <= descriptionChars ? sentence : description.slice(0, descriptionChars).replace(/\s+\S*$/, "");
        rest = [description.slice(head.length).trim(), ...rest].filter(Boolean);
        description = head === sentence ? head : `${head}…`;
    }
    const personality = oneLine(strip(d.personality));
    const scenario = oneLine(strip(d.scenario));
    if (!description) description = personality || scenario;
    if (!description) throw new CardError("data.description: empty, and so are personality and scenario (ditto needs a line about the character)");

    const claims: string[] = [];
    if (personality) claims.push(`personality: ${personality}`);
    if (scenario) claims.push(`scenario: ${scenario}`);
    for (const e of d.character_book?.entries ?? []) {
        if (e.enabled === false) continue;
        const content = oneLine(strip(e.content));
        if (!content) continue;
        claims.push(/^[^:]{1,80}: \S/.test(content) ? content : `${oneLine(e.keys[0] ?? e.name ?? "note") || "note"}: ${content}`);
    }
    const tags = d.tags.map((t) => oneLine(t)).filter(Boolean);
    if (tags.length) claims.push(`tags: ${tags.join(", ")}`);

    const sections: string[] = [];
    const add = (title: string, body: string) => { if (body) sections.push(`${title}:\n${body}`); };
    add("First message", strip(d.first_mes));
    add("Other greetings", d.alternate_greetings.map(strip).filter(Boolean).map((g) => `- ${oneLine(g)}`).join("\n"));
    add("Example dialogues", strip(d.mes_example.replace(/<START>/gi, "\n\n")));
    add("Creator's notes", strip(d.creator_notes));

    const lang = options.lang ?? "en";
    const nickname = oneLine(strip(d.nickname));
    const res = characterSchema.safeParse({
        id: characterId(name, lang), label: name, description, aliases: nickname && nickname !== name ? [nickname] : [],
        claims: [...new Set(claims)], summary: rest.join("\n\n"), ...(sections.length ? {wiki: {title: `${name} (character card)`, content: sections.join("\n\n")}} : {}),
        lang, category: "fictional character", source: "card"
    });
    if (!res.success) throw new CardError(`${res.error.issues[0]!.path.join(".")}: ${res.error.issues[0]!.message}`);
    return res.data;
}
