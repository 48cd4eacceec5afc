import {z} from "zod";
import {evalVariants} from "./answerSchema.js";

export const judgeKinds = ["consistency", "knowledge", "rejection"] as const;
export type JudgeKind = typeof judgeKinds[number];

/**
 * One judge sample for one answer (a line of eval/judgements.jsonl). `value`: consistency, the
 * candidate index the judge named; knowledge, 1 to 10; rejection, 1 if the judge says the answer
 * refused, else 0. `ok: false` (value null) records a judge that returned nothing valid within
 * its retries: counted in the report, never dropped.
 */
export const judgementSchema = z.strictObject({
    /** `${answer id}/${kind}/${sample}` */
    id: z.string(),
    answer: z.string(),
    variant: z.enum(evalVariants),
    session: z.string(),
    turn: z.string(),
    kind: z.enum(judgeKinds),
    sample: z.number().int().min(0),
    ok: z.boolean(),
    value: z.number().nullable(),
    attempts: z.number().int().min(1),
    /** the judge's last output, for reading the judgement back */
    raw: z.string(),
    error: z.string().optional()
});
export type Judgement = z.output<typeof judgementSchema>;
