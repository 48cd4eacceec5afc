import {readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import type {Character} from "../characters/characterSchema.js";
import {CardError} from "./CardError.js";
import {readCardFile} from "./readCardFile.js";

export type ImportCardsResult = {characters: Character[], problems: string[], files: number};

/**
 * Character cards from files and folders (folders: every .png and .json below them, in name
 * order). Each bad card becomes one `file: problem` line and the others go on; a second card of
 * the same character (same name and language) is reported, the first kept.
 */
export function importCards(paths: readonly string[], options: {lang?: string} = {}): ImportCardsResult {
    const files: string[] = [];
    const problems: string[] = [];
    for (const p of paths) {
        let isDir = false;
        try { isDir = statSync(p).isDirectory(); } catch { problems.push(`${p}: file not found`); continue; }
        if (isDir) files.push(...walk(p));
        else files.push(p);
    }
    const byId = new Map<string, {character: Character, file: string}>();
    for (const file of files) {
        try {
            const c = readCardFile(file, options);
            const first = byId.get(c.id);
            if (first) { problems.push(`${file}: same character as ${first.file} ("${c.label}", ${c.lang}); kept the first`); continue; }
            byId.set(c.id, {character: c, file});
        } catch (err) {
            if (!(err instanceof CardError)) throw err;
            problems.push(`${file}: ${err.message}`);
        }
    }
    return {characters: [...byId.values()].map((x) => x.character), problems, files: files.length};
}

function walk(dir: string): string[] {
    const out: string[] = [];
    for (const entry of readdirSync(dir, {withFileTypes: true}).sort((a, b) => a.name < b.name ? -1 : 1)) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) out.push(...walk(path));
        else if (/\.(png|json)$/i.test(entry.name)) out.push(path);
    }
    return out;
}
