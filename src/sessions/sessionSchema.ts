import {z} from "zod";

/** A multi-turn role-play session (method.md stage 3): one-line system prompt, then turns. */
export const sessionSchema = z.strictObject({
    id: z.string(),
    character: z.string(),
    lang: z.string(),
    system: z.string(),
    turns: z.array(z.strictObject({
        question: z.string(),
        answer: z.string(),
        provenance: z.enum(["own", "partner"]),
        /** the Turn id it came from */
        turn: z.string().optional()
    })).min(1)
});
export type Session = z.output<typeof sessionSchema>;
