import {z} from "zod";

/** Which model answered: the base GGUF alone, or with the trained adapter. */
export const evalVariants = ["base", "adapter"] as const;
export type EvalVariant = typeof evalVariants[number];

/** One answer of the model under test to one eval turn (a line of eval/answers.jsonl). */
export const answerSchema = z.strictObject({
    /** `${variant}/${turn id}` */
    id: z.string(),
    variant: z.enum(evalVariants),
    session: z.string(),
    turn: z.string(),
    index: z.number().int().min(0),
    question: z.string(),
    answer: z.string(),
    finish: z.enum(["stop", "length", "abort"]),
    tokens: z.number().int().min(0)
});
export type Answer = z.output<typeof answerSchema>;
