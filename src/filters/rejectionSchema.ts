import {z} from "zod";

/** One line of rejected.jsonl: what was dropped, at which stage, why, and the record itself. */
export const rejectionSchema = z.strictObject({
    id: z.string(),
    stage: z.enum(["queries", "filter"]),
    /** a filter name, or "no_valid_sample" for a query group none of whose samples was usable */
    reason: z.string(),
    detail: z.string(),
    record: z.unknown()
});
export type Rejection = z.output<typeof rejectionSchema>;
