import type {Command} from "commander";
import {importWikidata} from "../../characters/importWikidata.js";
import {pickCharacters} from "../../characters/pickCharacters.js";
import {DittoError} from "../../errors/DittoError.js";
import {recipeSchema} from "../../recipes/recipeSchema.js";
import {writeJsonlAtomic} from "../../runs/writeJsonlAtomic.js";
import {importCardsAction} from "./importCardsAction.js";

export function registerCharactersImportCommand(characters: Command): void {
    const defaults = recipeSchema.parse({name: "defaults", models: {generator: "-"}}).characters;
    characters.command("import")
        .description("stream characters out of a Wikidata JSON dump (humans, fictional characters; top N by sitelinks), with Wikipedia articles; or read character cards (--cards)")
        .option("--wikidata <dump>", "Wikidata JSON dump (.json, .json.gz, .json.bz2)")
        .option("--cards <path...>", "character cards: PNG (chara/ccv3 chunk) or JSON (V1, V2, V3) files, or folders of them")
        .option("--wikipedia <dump...>", "Wikipedia dumps for summaries and articles (pages-articles XML or CirrusSearch JSON; .bz2, .gz or plain)")
        .option("--lang <list>", "languages, comma-separated", defaults.languages.join(","))
        .option("--count <n>", "characters per language, most sitelinks first", String(defaults.count))
        .requiredOption("--out <file>", "where to write the characters (JSONL)")
        .addHelpText("after", "\nExamples:\n  ditto characters import --wikidata latest-all.json.bz2 --wikipedia enwiki-latest-pages-articles.xml.bz2 --lang en --count 2000 --out characters.jsonl\n  ditto characters import --cards cards/ seraphina.png --out characters.jsonl")
        .action(async (opts: {wikidata?: string, cards?: string[], wikipedia?: string[], lang: string, count: string, out: string}) => {
            if (!opts.wikidata === !opts.cards)
                throw new DittoError("give exactly one of --wikidata DUMP and --cards PATH...", {hint: "e.g. ditto characters import --cards cards/ --out characters.jsonl", code: "CLI_OPTION"});
            if (opts.cards) { importCardsAction(opts.cards, {lang: opts.lang, out: opts.out}); return; }
            const count = Number(opts.count);
            if (!Number.isInteger(count) || count < 1) throw new DittoError(`--count ${opts.count} is not a positive integer`, {hint: "use e.g. --count 1000"});
            const languages = opts.lang.split(",").map((l) => l.trim()).filter(Boolean);
            const all = await importWikidata({wikidata: opts.wikidata!, wikipedia: opts.wikipedia ?? [], languages, count,
                onProgress: (n) => { if (process.stderr.isTTY) process.stderr.write(`\r${n} entities read`); }});
            if (process.stderr.isTTY) process.stderr.write("\n");
            const out = pickCharacters(all, languages, count * languages.length);
            writeJsonlAtomic(opts.out, out);
            console.log(`wrote ${out.length} characters to ${opts.out}`);
        });
}
