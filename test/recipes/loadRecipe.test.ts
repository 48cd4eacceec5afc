import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {listRecipes, loadRecipe} from "../../src/recipes/loadRecipe.js";
import {RecipeError} from "../../src/recipes/RecipeError.js";
import {DittoError} from "../../src/errors/DittoError.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-recipe-"));

test("every shipped recipe validates and opens with the command that runs it", () => {
    const recipes = listRecipes();
    const names = recipes.map((r) => r.name);
    for (const wanted of ["qwen-7b", "qwen-1.5b", "qwen-0.5b", "llama-3.1-8b", "tiny", "cross-supervision"])
        assert.ok(names.includes(wanted), `recipes/${wanted}.yaml is missing`);
    for (const {name, file} of recipes) {
        const {recipe} = loadRecipe(file);
        assert.equal(recipe.name, name, `${file}: name must match the file name`);
        const first = (readFileSync(file, "utf8").split("\n")[0] ?? "");
        assert.equal(first, `# ditto train --recipe ${name}`, `${file}: first line must give the command`);
    }
});

test("cross-supervision trains a different model than the one that writes the data", () => {
    const {recipe} = loadRecipe("cross-supervision");
    assert.notEqual(recipe.models.student, recipe.models.generator);
});

test("a recipe with three mistakes gets three errors, each with its path and line", () => {
    const file = join(dir, "three.yaml");
    writeFileSync(file, [
        "name: three",
        "models:",
        "  generator: fixture:qwen2-tiny-q8_0",
        "train:",
        "  lora:",
        "    rnak: 8",          // typo
        "  optim:",
        "    lr: fast",         // wrong type
        "eval:",
        "  samples: 0"          // out of range
    ].join("\n"));
    assert.throws(() => loadRecipe(file), (err: unknown) => {
        assert.ok(err instanceof RecipeError);
        assert.equal(err.problems.length, 3, err.message);
        const byPath = new Map(err.problems.map((p) => [p.path, p]));
        assert.match(byPath.get("train.lora")!.message, /unknown key "rnak" \(did you mean "rank"\?\)/);
        assert.equal(byPath.get("train.lora")!.line, 6);
        assert.equal(byPath.get("train.optim.lr")!.line, 8);
        assert.equal(byPath.get("eval.samples")!.line, 10);
        return true;
    });
});

test("overrides apply by key path and are validated like the file", () => {
    const {recipe} = loadRecipe("tiny", ["train.lora.rank=4", "characters.languages=[en, zh]"]);
    assert.equal(recipe.train.lora.rank, 4);
    assert.deepEqual(recipe.characters.languages, ["en", "zh"]);
    assert.throws(() => loadRecipe("tiny", ["train.lora.rank=-1"]), /train\.lora\.rank/);
    assert.throws(() => loadRecipe("tiny", ["nonsense"]), /key\.path=value/);
});

test("a missing recipe names the known ones", () => {
    assert.throws(() => loadRecipe("qwen-7bb"), (err: unknown) =>
        err instanceof DittoError && /not found/.test(err.message) && /qwen-7b/.test(err.hint ?? ""));
});

test("YAML syntax errors name the line", () => {
    const file = join(dir, "syntax.yaml");
    writeFileSync(file, "name: x\nmodels: [unclosed\n");
    assert.throws(() => loadRecipe(file), (err: unknown) => err instanceof RecipeError && /YAML syntax/.test(err.message));
});

