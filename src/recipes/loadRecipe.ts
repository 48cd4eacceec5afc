import {existsSync, readdirSync} from "node:fs";
import {basename, dirname, isAbsolute, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {isMap, isScalar, LineCounter, parseDocument, type Document} from "yaml";
import type {z} from "zod";
import {DittoError} from "../errors/DittoError.js";
import {recipeSchema, type Recipe} from "./recipeSchema.js";
import {RecipeError, type RecipeProblem} from "./RecipeError.js";
import {readTextFile} from "../runs/readTextFile.js";

/** The recipes shipped with ditto (the package's recipes/ folder). */
export const builtinRecipesDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", ...(import.meta.url.includes("/dist/") ? [".."] : []), "recipes");

export type LoadedRecipe = {recipe: Recipe, file: string, dir: string};

/** A recipe name from recipes/ or a path to a YAML file, with `key.path=value` overrides applied. */
export function loadRecipe(nameOrPath: string, overrides: string[] = []): LoadedRecipe {
    const file = resolveRecipeFile(nameOrPath);
    const lineCounter = new LineCounter();
    const doc = parseDocument(readRecipeText(file), {lineCounter, prettyErrors: false});
    if (doc.errors.length > 0) {
        throw new RecipeError(file, doc.errors.map((e) => ({
            path: "", line: lineCounter.linePos(e.pos[0]).line, col: lineCounter.linePos(e.pos[0]).col, message: `YAML syntax: ${e.message.split("\n")[0]}`
        })));
    }
    const problems: RecipeProblem[] = [];
    const overridden = new Map<string, string>();
    for (const o of overrides) {
        const eq = o.indexOf("=");
        if (eq <= 0) { problems.push({path: "", override: o, message: "an override must look like key.path=value (e.g. train.lora.rank=8)"}); continue; }
        overridden.set(o.slice(0, eq), o);
        const path = o.slice(0, eq).split(".");
        const raw = o.slice(eq + 1);
        let value: unknown;
        try { value = parseDocument(raw).toJS(); } catch { value = raw; }
        doc.setIn(path, value);
    }
    const data = doc.toJS() ?? {};
    const res = recipeSchema.safeParse(data);
    if (!res.success || problems.length > 0) {
        for (const issue of res.error?.issues ?? []) {
            const problem = describeIssue(issue, doc, lineCounter);
            // a value set on the command line is blamed on the command line, not on a line of the file
            const keys = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path.map(String), k].join(".")) : [problem.path];
            const override = keys.map((k) => [...overridden].find(([path]) => path === k || k.startsWith(path + ".") || path.startsWith(k + "."))?.[1]).find((o) => o !== undefined);
            problems.push(override !== undefined ? {path: problem.path, override, message: problem.message} : problem);
        }
        throw new RecipeError(file, problems);
    }
    return {recipe: res.data, file, dir: dirname(file)};
}

/** The recipe's text; a binary file is refused here, since the YAML parser would call it a syntax error somewhere in the bytes. */
function readRecipeText(file: string): string {
    const text = readTextFile(file);
    if (text.includes("\u0000") || text.includes("\ufffd"))
        throw new DittoError(`${file} is not a YAML recipe: it holds binary data`, {hint: "give a recipe name (`ditto recipes list`) or a path to a .yaml text file", code: "RECIPE_BINARY"});
    return text;
}

export function resolveRecipeFile(nameOrPath: string): string {
    const candidates = /[\\/]|\.ya?ml$/.test(nameOrPath)
        ? [isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath)]
        : [resolve("recipes", nameOrPath + ".yaml"), join(builtinRecipesDir, nameOrPath + ".yaml")];
    for (const c of candidates) if (existsSync(c)) return c;
    const known = listRecipes().map((r) => r.name);
    throw new DittoError(`recipe "${nameOrPath}" not found (looked in ${candidates.join(", ")})`, {
        hint: known.length ? `use one of: ${known.join(", ")}, or a path to a .yaml file` : "pass a path to a recipe .yaml file",
        code: "RECIPE_NOT_FOUND"});
}

/** Recipes in ./recipes and the built-in folder, local ones first. */
export function listRecipes(): {name: string, file: string}[] {
    const seen = new Map<string, string>();
    for (const dir of [resolve("recipes"), builtinRecipesDir]) {
        if (!existsSync(dir)) continue;
        for (const f of readdirSync(dir).sort())
            if (f.endsWith(".yaml") && !seen.has(basename(f, ".yaml"))) seen.set(basename(f, ".yaml"), join(dir, f));
    }
    return [...seen].map(([name, file]) => ({name, file}));
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter): RecipeProblem {
    const path = issue.path.map(String);
    const node = doc.getIn(path, true) as {range?: [number, number, number]} | undefined;
    let line = node?.range ? lc.linePos(node.range[0]).line : undefined;
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
        const parent = path.length ? doc.getIn(path, true) : doc.contents;
        const known = knownKeys(path);
        message = issue.keys.map((k) => {
            const guess = closest(k, known);
            return `unknown key "${k}"` + (guess ? ` (did you mean "${guess}"?)` : known.length ? ` (known keys: ${known.join(", ")})` : "");
        }).join("; ");
        if (isMap(parent)) {
            const pair = parent.items.find((p) => isScalar(p.key) && issue.keys.includes(String(p.key.value)));
            const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
            if (range) line = lc.linePos(range[0]).line;
        }
    }
    if (!line && path.length) {
        // a missing key: point at its parent
        const parent = doc.getIn(path.slice(0, -1), true) as {range?: [number, number, number]} | undefined;
        if (parent?.range) line = lc.linePos(parent.range[0]).line;
    }
    return {path: path.join("."), line, message};
}

function knownKeys(path: string[]): string[] {
    let schema: unknown = recipeSchema;
    for (const p of path) {
        schema = unwrap(schema);
        const shape = (schema as {shape?: Record<string, unknown>}).shape;
        if (!shape || !(p in shape)) return [];
        schema = shape[p];
    }
    const shape = (unwrap(schema) as {shape?: Record<string, unknown>}).shape;
    return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
    let s = schema as {def?: {innerType?: unknown}, shape?: unknown};
    while (s && !s.shape && s.def?.innerType) s = s.def.innerType as typeof s;
    return s;
}

function closest(word: string, options: string[]): string | undefined {
    let best: string | undefined, bestD = Infinity;
    for (const o of options) {
        const d = editDistance(word, o);
        if (d < bestD) { bestD = d; best = o; }
    }
    return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
    const dp = Array.from({length: b.length + 1}, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let prev = dp[0]!;
        dp[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = dp[j]!;
            dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = tmp;
        }
    }
    return dp[b.length]!;
}
