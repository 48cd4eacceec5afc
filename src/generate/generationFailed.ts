import {DittoError} from "../errors/DittoError.js";

/**
 * A model call that threw, as an error naming the record and the likely fix: in this pipeline the
 * usual cause is a prompt (profiles included) longer than the context.
 */
export function generationFailed(id: string, err: unknown): DittoError {
    if (err instanceof DittoError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    return new DittoError(`generation failed for ${id}: ${msg}`, {
        hint: /context|too long|exceed/i.test(msg)
            ? "the prompt does not fit: lower characters.max_profile_chars or raise runtime.context_size; finished records are kept, run again to resume"
            : "finished records are kept: fix the cause and run the same command again to resume",
        code: "GENERATION_FAILED", cause: err
    });
}
