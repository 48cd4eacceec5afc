import {z} from "zod";

/**
 * One line of dataset.jsonl as training reads it (formats.md): a conversation in the messages
 * format that TRL, axolotl and LLaMA-Factory also take. `meta` is carried along, not interpreted.
 */
export const datasetLineSchema = z.object({
    messages: z.array(z.object({
        role: z.enum(["system", "user", "assistant"]),
        content: z.string()
    })).min(1),
    meta: z.record(z.string(), z.unknown()).optional()
});

export type DatasetLine = z.infer<typeof datasetLineSchema>;
export type ChatMessage = DatasetLine["messages"][number];
