import type {Recipe} from "../recipes/recipeSchema.js";

/**
 * The recipe settings each late stage's output depends on, keyed as the recipe spells them, so a
 * change can be named as the override a user typed. Settings that change speed but not the
 * result (threads, device, save_every) are left out: changing them never redoes work.
 */
export const stageSettingsOf = {
    finetune(recipe: Recipe, datasetSha256: string): Record<string, unknown> {
        const {save_every: _saveEvery, device: _device, precision, ...rest} = recipe.train;
        // precision changes the result; fp32, the default, is left out so runs recorded before
        // the setting existed stay up to date
        const train = precision === "fp32" ? rest : {...rest, precision};
        return {seed: recipe.seed, models: {student: recipe.models.student ?? recipe.models.generator}, train, dataset: {sha256: datasetSha256}};
    },
    eval(recipe: Recipe): Record<string, unknown> {
        const student = recipe.models.student ?? recipe.models.generator;
        return {seed: recipe.seed, models: {student, judge: recipe.models.judge ?? student}, eval: recipe.eval};
    }
};
