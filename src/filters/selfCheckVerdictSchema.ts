import {z} from "zod";

/** One line of checks.jsonl: the model's own verdict on whether a turn's answer refused (kept so a restart does not ask again). */
export const selfCheckVerdictSchema = z.strictObject({
    /** the turn id */
    id: z.string(),
    refused: z.boolean().nullable(),
    finish: z.enum(["stop", "length", "abort"])
});
export type SelfCheckVerdict = z.output<typeof selfCheckVerdictSchema>;
