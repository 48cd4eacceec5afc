import {resolve} from "node:path";
import type {Character} from "../characters/characterSchema.js";
import {elicitCharacters} from "../characters/elicitCharacters.js";
import {importWikidata} from "../characters/importWikidata.js";
import {loadCharacterFiles} from "../characters/loadCharacterFiles.js";
import {importCards} from "../cards/importCards.js";
import {pickCharacters} from "../characters/pickCharacters.js";
import {DittoError} from "../errors/DittoError.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import type {ModelSession} from "./ModelSession.js";
import type {PromptTemplates} from "./PromptTemplates.js";
import {toSampling} from "./toSampling.js";

export type CollectCharactersOptions = {
    recipe: Recipe, recipeDir: string, runDir: string, prompts: PromptTemplates, model: ModelSession,
    warn: (message: string) => void, report: (done: number, total: number) => void
};

/** Stage 1: the recipe's character source (file, cards, wikidata or elicit), cut to `count` in the wanted languages. */
export async function collectCharacters(o: CollectCharactersOptions): Promise<Character[]> {
    const c = o.recipe.characters;
    const source = c.source;
    switch (source) {
        case "file":
            return pickCharacters(loadCharacterFiles(c.files, o.recipeDir, o.warn), c.languages, c.count);
        case "cards": {
            if (c.files.length === 0) throw new DittoError("characters.source is cards but characters.files is empty", {hint: "list card files or folders under characters.files in the recipe", code: "CHARACTERS_MISSING"});
            const {characters, problems} = importCards(c.files.map((f) => resolve(o.recipeDir, f)), {lang: c.languages[0]});
            for (const p of problems) o.warn(p);
            return pickCharacters(characters, c.languages, c.count);
        }
        case "wikidata": {
            if (!c.wikidata) throw new DittoError("characters.source is wikidata but characters.wikidata (the dump path) is not set", {hint: "set characters.wikidata: path/to/latest-all.json.bz2", code: "CHARACTERS_MISSING"});
            const all = await importWikidata({wikidata: resolve(o.recipeDir, c.wikidata), wikipedia: c.wikipedia ? [resolve(o.recipeDir, c.wikipedia)] : [],
                languages: c.languages, count: c.count, onProgress: (n) => o.report(n, 0)});
            return pickCharacters(all, c.languages, c.count);
        }
        case "elicit":
            return pickCharacters(await elicitCharacters({
                generator: await o.model.pool(), prompts: o.prompts, languages: c.languages, count: c.count, batch: c.elicit_batch, rounds: c.elicit_rounds,
                seed: o.recipe.seed, sampling: toSampling(o.recipe.generate.query_sampling), profileSampling: toSampling(o.recipe.generate.sampling),
                workDir: o.runDir, onProgress: o.report
            }), c.languages, c.count);
        default: {
            const never: never = source;
            throw new Error(`unknown character source ${String(never)}`);
        }
    }
}
