import {z} from "zod";

/** One simulated answer, in character, to one query (method.md stage 2b). */
export const turnSchema = z.strictObject({
    id: z.string(),
    query: z.string(),
    character: z.string(),
    question: z.string(),
    answer: z.string(),
    provenance: z.enum(["own", "partner"]),
    /** "length": the answer hit max tokens (truncated) */
    finish: z.enum(["stop", "length", "abort"]),
    tokens: z.number().int()
});
export type Turn = z.output<typeof turnSchema>;
