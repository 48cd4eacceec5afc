import {readFileSync, statSync} from "node:fs";
import type {Character} from "../characters/characterSchema.js";
import {CardError} from "./CardError.js";
import {cardLimits} from "./cardLimits.js";
import {cardToCharacter} from "./cardToCharacter.js";
import {parseCard} from "./parseCard.js";
import {isPng, readPngTextChunks} from "./readPngTextChunks.js";

/**
 * One character card file as a profile: a PNG with the card's JSON base64-encoded in a text chunk
 * (`ccv3` for V3, preferred, else `chara`), or the card's JSON itself. Throws CardError saying
 * what is wrong with the file.
 */
export function readCardFile(file: string, options: {lang?: string} = {}): Character {
    let size: number;
    try { size = statSync(file).size; } catch { throw new CardError("file not found"); }
    if (size > cardLimits.fileBytes) throw new CardError(`${(size / 1e6).toFixed(1)} MB is over the ${cardLimits.fileBytes >> 20} MiB a card file may be`);
    const bytes = readFileSync(file);
    let json: string;
    let where: string;
    if (isPng(bytes)) {
        const chunks = readPngTextChunks(bytes);
        const keyword = chunks.has("ccv3") ? "ccv3" : chunks.has("chara") ? "chara" : undefined;
        if (!keyword) throw new CardError(`PNG without a character card (no "chara" or "ccv3" text chunk${chunks.size ? `; it has ${[...chunks.keys()].map((k) => JSON.stringify(k)).join(", ")}` : ""})`);
        const b64 = chunks.get(keyword)!.replace(/\s+/g, "");
        if (b64 === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 === 1)
            throw new CardError(`the "${keyword}" chunk is not base64 (a card's JSON is stored base64-encoded)`);
        json = Buffer.from(b64, "base64").toString("utf8");
        where = `the "${keyword}" chunk`;
    } else {
        if (/\.png$/i.test(file)) throw new CardError("not a PNG file (no PNG signature)");
        json = bytes.toString("utf8").replace(/^\uFEFF/, "");
        where = "the file";
    }
    let value: unknown;
    try { value = JSON.parse(json); } catch (err) {
        throw new CardError(`${where} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    return cardToCharacter(parseCard(value), options);
}
