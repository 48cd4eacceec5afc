import {DittoError} from "../errors/DittoError.js";

export type RecipeProblem = {path: string, line?: number, message: string};

/** All problems of one recipe, reported at once, each with its key path and line. */
export class RecipeError extends DittoError {
    public readonly file: string;
    public readonly problems: RecipeProblem[];

    public constructor(file: string, problems: RecipeProblem[]) {
        const lines = problems.map((p) => `  ${file}${p.line ? ":" + p.line : ""}: ${p.path || "(top)"}: ${p.message}`);
        super(`recipe ${file} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${lines.join("\n")}`, {
            hint: "fix the recipe (see `ditto recipes show tiny` for a complete example)", code: "RECIPE_INVALID"});
        this.file = file;
        this.problems = problems;
    }
}
