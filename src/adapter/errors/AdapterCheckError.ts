import {DittoError} from "../../errors/DittoError.js";

export type AdapterProblem = "not-adapter" | "architecture" | "layer" | "tensor" | "shape" | "rank" | "unpaired";

/** An adapter that does not fit its model; `problems` lists every mismatch, the message the first few. */
export class AdapterCheckError extends DittoError {
    public readonly problem: AdapterProblem;
    public readonly problems: string[];

    public constructor(adapterPath: string, problem: AdapterProblem, problems: string[], hint: string) {
        const shown = problems.slice(0, 5).join("; ") + (problems.length > 5 ? `; and ${problems.length - 5} more` : "");
        super(`${adapterPath}: ${shown}`, {hint, code: "ADAPTER_" + problem.toUpperCase().replace("-", "_")});
        this.problem = problem;
        this.problems = problems;
    }
}
