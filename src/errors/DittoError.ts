/**
 * A failure the user can act on: `message` names the problem (which file, line or field),
 * `hint` names the fix. The CLI prints both without a stack trace; anything that is not a
 * DittoError is a bug and is printed with its stack.
 */
export class DittoError extends Error {
    public readonly hint?: string;
    /** A short machine-readable code, e.g. "GGUF_TRUNCATED", for tests and scripts. */
    public readonly code: string;

    public constructor(message: string, options: {hint?: string, code?: string, cause?: unknown} = {}) {
        super(message, options.cause === undefined ? undefined : {cause: options.cause});
        this.name = "DittoError";
        this.hint = options.hint;
        this.code = options.code ?? "DITTO_ERROR";
    }
}
