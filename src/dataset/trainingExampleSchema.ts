import {z} from "zod";

/** One line of dataset.jsonl: OpenAI-style messages (what TRL, axolotl and LLaMA-Factory read) plus meta. */
export const trainingExampleSchema = z.object({
    messages: z.array(z.object({
        role: z.enum(["system", "user", "assistant"]),
        content: z.string()
    })).min(2),
    meta: z.object({
        id: z.string(),
        character: z.string(),
        lang: z.string(),
        provenance: z.array(z.enum(["own", "partner"]))
    }).partial().passthrough().optional()
});
export type TrainingExample = z.output<typeof trainingExampleSchema>;
