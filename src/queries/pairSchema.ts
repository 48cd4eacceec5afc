import {z} from "zod";

/** Two characters whose questions are contrasted (method.md 2a): each is asked the other's questions too. */
export const pairSchema = z.strictObject({
    id: z.string(),
    a: z.string(),
    b: z.string(),
    lang: z.string()
});
export type Pair = z.output<typeof pairSchema>;
