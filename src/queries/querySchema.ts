import {z} from "zod";

/**
 * A simulated question (method.md stage 2a). `asker` is the character the question is FOR (whose
 * session it enters); `owner` is the character whose knowledge it draws on. provenance "own": the
 * asker should answer; "partner": the question belongs to the partner's world and the asker should
 * refuse in character. That label is the rejection gold label later.
 */
export const querySchema = z.strictObject({
    id: z.string(),
    pair: z.string(),
    asker: z.string(),
    owner: z.string(),
    provenance: z.enum(["own", "partner"]),
    lang: z.string(),
    question: z.string()
});
export type Query = z.output<typeof querySchema>;
