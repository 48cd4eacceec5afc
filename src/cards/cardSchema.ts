import {z} from "zod";

const text = z.string().nullish().transform((s) => s ?? "");

const bookEntry = z.looseObject({
    keys: z.array(z.string()).nullish().transform((k) => k ?? []),
    content: text,
    enabled: z.boolean().nullish(),
    name: z.string().nullish(),
    comment: z.string().nullish()
});

/**
 * The fields of a character card ditto reads: the V2/V3 `data` object (chara_card_v2 /
 * chara_card_v3; V3 adds nickname), also the shape of a V1 card's top level. Front-ends add
 * fields freely, so unknown ones pass; a field of the wrong type is a problem.
 */
export const cardDataSchema = z.looseObject({
    name: z.string({error: "missing (a card needs the character's name)"}).trim().min(1, "empty (a card needs the character's name)"),
    description: text,
    personality: text,
    scenario: text,
    first_mes: text,
    mes_example: text,
    creator_notes: text,
    system_prompt: text,
    alternate_greetings: z.array(z.string()).nullish().transform((a) => a ?? []),
    tags: z.array(z.string()).nullish().transform((a) => a ?? []),
    nickname: text,
    character_book: z.looseObject({entries: z.array(bookEntry)}).nullish(),
    extensions: z.record(z.string(), z.unknown()).nullish()
});
export type CardData = z.output<typeof cardDataSchema>;
