import {resolve} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import type {Character} from "./characterSchema.js";
import {formatCharacterProblem} from "./CharacterProblem.js";
import {readCharacterFile} from "./readCharacterFile.js";

/**
 * The characters of several profile files (paths relative to `baseDir`); bad records become
 * warnings and the good ones go on. The same id twice across files: the first file wins.
 */
export function loadCharacterFiles(files: readonly string[], baseDir: string, warn: (message: string) => void): Character[] {
    if (files.length === 0)
        throw new DittoError("characters.source is file but characters.files is empty", {hint: "list profile files under characters.files in the recipe", code: "CHARACTERS_MISSING"});
    const byId = new Map<string, Character>();
    for (const f of files) {
        const {characters, problems} = readCharacterFile(resolve(baseDir, f));
        for (const p of problems) warn(formatCharacterProblem(p));
        for (const c of characters) if (!byId.has(c.id)) byId.set(c.id, c);
    }
    return [...byId.values()];
}
