import {z} from "zod";

/**
 * A question for a held-out character that the evaluation wrote itself (the pipeline wrote none):
 * like a pipeline Query, plus `origin`: "model" when the model wrote it (method.md stage 2a),
 * "template" when the model returned nothing valid and a question was made from a profile claim.
 */
export const evalQuestionSchema = z.strictObject({
    id: z.string(),
    asker: z.string(),
    owner: z.string(),
    provenance: z.enum(["own", "partner"]),
    lang: z.string(),
    question: z.string().min(1),
    origin: z.enum(["model", "template"])
});
export type EvalQuestion = z.output<typeof evalQuestionSchema>;
