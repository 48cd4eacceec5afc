import {readFileSync} from "node:fs";
import type {Command} from "commander";
import {stringify} from "yaml";
import {listRecipes, loadRecipe, resolveRecipeFile} from "../../recipes/loadRecipe.js";

export function registerRecipesCommand(program: Command): void {
    const recipes = program.command("recipes").description("list, show and validate recipes (recipes/*.yaml)");
    recipes.command("list")
        .description("the recipes in ./recipes and the ones shipped with ditto")
        .addHelpText("after", "\nExample:\n  ditto recipes list")
        .action(() => {
            for (const {name, file} of listRecipes()) {
                let line = name.padEnd(20);
                try {
                    const {recipe} = loadRecipe(file);
                    line += `${recipe.description}  [generator ${recipe.models.generator}` +
                        (recipe.models.student && recipe.models.student !== recipe.models.generator ? `, student ${recipe.models.student}` : "") + "]";
                } catch (err) {
                    line += `INVALID: ${(err as Error).message.split("\n")[0]}`;
                }
                console.log(line);
            }
        });
    recipes.command("show")
        .argument("<name>", "recipe name or path to a .yaml file")
        .option("--resolved", "print every setting with its default filled in")
        .description("print a recipe (with --resolved: as ditto will run it)")
        .addHelpText("after", "\nExamples:\n  ditto recipes show tiny\n  ditto recipes show tiny --resolved")
        .action((name: string, opts: {resolved?: boolean}) => {
            if (opts.resolved) console.log(stringify(loadRecipe(name).recipe));
            else console.log(readFileSync(resolveRecipeFile(name), "utf8"));
        });
    recipes.command("validate")
        .argument("<name>", "recipe name or path to a .yaml file")
        .argument("[overrides...]", "key.path=value overrides to check too")
        .description("check a recipe and report every problem at once")
        .addHelpText("after", "\nExamples:\n  ditto recipes validate tiny\n  ditto recipes validate recipes/tiny.yaml train.lora.rank=4")
        .action((name: string, overrides: string[]) => {
            const {file} = loadRecipe(name, overrides);
            console.log(`${file}: ok`);
        });
}
