import type {Character} from "./characterSchema.js";

/** At most `count` characters in the wanted languages, most popular first (ties by id), returned sorted by id. */
export function pickCharacters(characters: readonly Character[], languages: readonly string[], count: number): Character[] {
    return characters
        .filter((c) => languages.includes(c.lang))
        .sort((a, b) => (b.popularity ?? 0) - (a.popularity ?? 0) || (a.id < b.id ? -1 : 1))
        .slice(0, count)
        .sort((a, b) => a.id < b.id ? -1 : 1);
}
