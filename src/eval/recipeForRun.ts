import {existsSync, readFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {parseDocument} from "yaml";
import {DittoError} from "../errors/DittoError.js";
import {loadRecipe} from "../recipes/loadRecipe.js";
import {recipeSchema, type Recipe} from "../recipes/recipeSchema.js";

/**
 * The recipe an evaluation of `runDir` uses: the one named, else the resolved recipe the run
 * recorded in manifest.json, with `key.path=value` overrides applied either way. `dir` is where
 * the recipe's relative model paths point from.
 */
export function recipeForRun(runDir: string, options: {recipe?: string, overrides?: string[]} = {}): {recipe: Recipe, dir: string} {
    const overrides = options.overrides ?? [];
    if (options.recipe) {
        const loaded = loadRecipe(options.recipe, overrides);
        return {recipe: loaded.recipe, dir: loaded.dir};
    }
    const path = join(runDir, "manifest.json");
    if (!existsSync(path))
        throw new DittoError(`${path} not found, and no --recipe given`, {hint: "pass --recipe NAME, or point --run at a run folder made by `ditto generate` / `ditto train`", code: "EVAL_NO_RECIPE"});
    let manifest: {recipe?: unknown, recipe_file?: unknown};
    try { manifest = JSON.parse(readFileSync(path, "utf8")); } catch (err) {
        throw new DittoError(`${path}: not valid JSON`, {hint: "pass --recipe NAME", code: "EVAL_NO_RECIPE", cause: err});
    }
    const data = structuredClone(manifest.recipe ?? {}) as Record<string, unknown>;
    for (const o of overrides) {
        const eq = o.indexOf("=");
        if (eq <= 0) throw new DittoError(`override "${o}" must look like key.path=value`, {hint: "e.g. eval.samples=1", code: "EVAL_NO_RECIPE"});
        const keys = o.slice(0, eq).split(".");
        let node = data;
        for (const k of keys.slice(0, -1)) node = (node[k] && typeof node[k] === "object" ? node[k] : node[k] = {}) as Record<string, unknown>;
        node[keys[keys.length - 1]!] = parseDocument(o.slice(eq + 1)).toJS();
    }
    const res = recipeSchema.safeParse(data);
    if (!res.success) {
        const issue = res.error.issues[0]!;
        throw new DittoError(`${path}: recipe: ${issue.path.map(String).join(".")}: ${issue.message}`, {hint: "pass --recipe NAME, or fix the override", code: "EVAL_NO_RECIPE"});
    }
    return {recipe: res.data, dir: typeof manifest.recipe_file === "string" ? dirname(manifest.recipe_file) : process.cwd()};
}
