import {DittoError} from "../../errors/DittoError.js";

export type GgufProblem = "missing" | "not-gguf" | "version" | "truncated" | "corrupt";

/** A GGUF file that cannot be read, with which problem and the file named. */
export class GgufFileError extends DittoError {
    public readonly path: string;
    public readonly problem: GgufProblem;

    public constructor(path: string, problem: GgufProblem, detail: string, hint: string, options: {cause?: unknown} = {}) {
        super(`${path}: ${detail}`, {hint, code: "GGUF_" + problem.toUpperCase().replace("-", "_"), cause: options.cause});
        this.path = path;
        this.problem = problem;
    }
}
