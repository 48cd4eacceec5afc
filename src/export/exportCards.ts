import {existsSync, mkdirSync, writeFileSync} from "node:fs";
import {basename, join, resolve} from "node:path";
import {characterToCard} from "../cards/characterToCard.js";
import {writeCardPng} from "../cards/writeCardPng.js";
import {fileSlug} from "./fileSlug.js";
import {trainedCharacters} from "./trainedCharacters.js";
import {trainedBaseModel} from "./trainedBaseModel.js";

/**
 * `ditto export RUN --format cards`: a V2 character card per trained character, as JSON and as
 * PNG, whose system prompt is the line the adapter was trained with. Returns the files written.
 */
export function exportCards(options: {runDir: string, outDir?: string}): string[] {
    const out = resolve(options.outDir ?? join(options.runDir, "export", "cards"));
    mkdirSync(out, {recursive: true});
    const adapter = resolve(options.runDir, "train", "adapter.gguf");
    const model = trainedBaseModel(options.runDir, {required: false});
    const written: string[] = [];
    const used = new Set<string>();
    for (const t of trainedCharacters(options.runDir)) {
        let slug = fileSlug(t.character.label);
        if (used.has(slug)) slug = `${slug}-${fileSlug(t.character.id)}`;
        used.add(slug);
        const card = characterToCard(t.character, {system: t.system, examples: t.examples, run: basename(resolve(options.runDir)),
            ...(model ? {model} : {}), ...(existsSync(adapter) ? {adapter} : {})});
        const json = join(out, `${slug}.json`), png = join(out, `${slug}.png`);
        writeFileSync(json, JSON.stringify(card, null, 2) + "\n");
        writeFileSync(png, writeCardPng(card, t.character.label));
        written.push(json, png);
    }
    return written;
}
