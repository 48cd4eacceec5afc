import {DittoError} from "../errors/DittoError.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import type {Manifest} from "../runs/manifestSchema.js";
import {settingsDiff} from "../runs/settingsDiff.js";
import {filtersFingerprint, recipeFingerprint} from "./recipeFingerprint.js";

const generationKeys = (r: Record<string, unknown>) => ({
    seed: r.seed, models: {generator: (r.models as {generator?: unknown} | undefined)?.generator}, characters: r.characters, generate: r.generate
});

/**
 * Refuses a run folder whose records were generated with other settings (seed, generator,
 * characters, generate), naming each key that differs: the records on disk cannot be mixed with
 * records made the new way. With `filters: true`, a filters change is refused too (for callers
 * that will not redo the dataset stage themselves).
 */
export function checkGenerationSettings(runDir: string, previous: Manifest, recipe: Recipe, options: {filters?: boolean, rerun?: string} = {}): void {
    const now = recipe as unknown as Record<string, unknown>;
    if (previous.fingerprint !== recipeFingerprint(recipe)) {
        const keys = settingsDiff(generationKeys(previous.recipe), generationKeys(now));
        throw new DittoError(`${runDir} holds records generated with other settings: ${keys.length > 0 ? keys.join("; ") : "(the recorded recipe differs in a way it does not show)"}`, {
            hint: "generated records cannot be mixed with records made another way: give the settings the run was made with, " +
                "or start a new run with --run DIR (e.g. --run " + `${runDir}-2)`, code: "RUN_RECIPE_CHANGED"});
    }
    if (options.filters && previous.filters_fingerprint !== undefined && previous.filters_fingerprint !== filtersFingerprint(recipe)) {
        const keys = settingsDiff({filters: previous.recipe.filters}, {filters: recipe.filters});
        throw new DittoError(`${runDir}/dataset.jsonl was filtered with other settings: ${keys.join("; ")}`, {
            hint: `redo the data set with them: ${options.rerun ?? "run the same command without --from"} (the dataset stage is redone; the model is not asked again)`, code: "RUN_FILTERS_CHANGED"});
    }
}
