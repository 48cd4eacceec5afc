import {importCards} from "../../cards/importCards.js";
import {DittoError} from "../../errors/DittoError.js";
import {writeJsonlAtomic} from "../../runs/writeJsonlAtomic.js";

/**
 * `ditto characters import --cards PATH...`: every card found becomes a profile in OUT; each bad
 * card is one `file: problem` line on stderr. Fails only when no card could be read.
 */
export function importCardsAction(paths: readonly string[], options: {lang: string, out: string}): void {
    const lang = options.lang.split(",")[0]!.trim() || "en";
    const {characters, problems, files} = importCards(paths, {lang});
    for (const p of problems) console.error(p);
    if (characters.length === 0)
        throw new DittoError(`no character card could be read from ${files} file(s)${problems.length ? " (problems above)" : ""}`, {
            hint: "give PNG cards (with a chara or ccv3 text chunk) or card JSON files (V1, chara_card_v2, chara_card_v3), or folders of them", code: "CARDS_NONE"});
    writeJsonlAtomic(options.out, characters);
    console.log(`wrote ${characters.length} characters to ${options.out} (${files} file(s), ${problems.length} skipped)`);
}
