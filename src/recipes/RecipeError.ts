import {DittoError} from "../errors/DittoError.js";

/** `override`: the command-line `key.path=value` the problem comes from (then it is not in the file) */
export type RecipeProblem = {path: string, line?: number, col?: number, override?: string, message: string};

/** All problems of one recipe, reported at once, each with its key path and line. */
export class RecipeError extends DittoError {
    public readonly file: string;
    public readonly problems: RecipeProblem[];

    public constructor(file: string, problems: RecipeProblem[]) {
        const lines = problems.map((p) => p.override !== undefined
            ? `  command line: ${p.override}: ${p.path && !p.override.startsWith(p.path + "=") ? p.path + ": " : ""}${p.message}`
            : `  ${file}${p.line ? ":" + p.line + (p.col ? ":" + p.col : "") : ""}: ${p.path || "(top)"}: ${p.message}`);
        const onlyOverrides = problems.every((p) => p.override !== undefined);
        super(`${onlyOverrides ? "the command line's recipe overrides have" : `recipe ${file} has`} ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${lines.join("\n")}`, {
            hint: onlyOverrides ? "fix the override on the command line: key.path=value with a key of the recipe (e.g. train.lora.rank=8; `ditto recipes show tiny` lists them)"
                : "fix the recipe (see `ditto recipes show tiny` for a complete example)", code: "RECIPE_INVALID"});
        this.file = file;
        this.problems = problems;
    }
}
