import {createHash} from "node:crypto";
import type {Recipe} from "../recipes/recipeSchema.js";

/**
 * A hash of the settings that shape the generated records (seed, generator, characters, generate).
 * A run folder resumed with other values would mix two data sets, so it is refused. Filters are not
 * in it: they only shape the last stage, which is redone when they change.
 */
export function recipeFingerprint(r: Recipe): string {
    return createHash("sha256").update(JSON.stringify({seed: r.seed, generator: r.models.generator, characters: r.characters, generate: r.generate})).digest("hex").slice(0, 16);
}

export function filtersFingerprint(r: Recipe): string {
    return createHash("sha256").update(JSON.stringify(r.filters)).digest("hex").slice(0, 16);
}
