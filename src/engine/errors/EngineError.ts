import {DittoError} from "../../errors/DittoError.js";

export type EngineProblem = "addon-missing" | "open" | "batch" | "state" | "device" | "precision" | "closed" | "internal";

/** A failure of the native training engine; `message` is the engine's own (it names the problem and the fix). */
export class EngineError extends DittoError {
    public readonly problem: EngineProblem;

    public constructor(problem: EngineProblem, message: string, options: {hint?: string, cause?: unknown} = {}) {
        super(message, {hint: options.hint, cause: options.cause, code: "ENGINE_" + problem.toUpperCase().replace("-", "_")});
        this.problem = problem;
    }
}
