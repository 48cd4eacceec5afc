import type {Character} from "./characterSchema.js";

const key = (s: string) => s.normalize("NFKC").toLowerCase().replace(/[\s\p{P}]+/gu, " ").trim();

/**
 * Merges records of one character (same language, a name or alias in common): the first by id
 * keeps its id and label, the others' names become aliases, claims are joined, the longer summary
 * wins. The model lists "Einstein" and "Albert Einstein" as two; the data set wants one.
 */
export function mergeCharacters(characters: readonly Character[]): Character[] {
    const sorted = [...characters].sort((a, b) => a.id < b.id ? -1 : 1);
    const owner = new Map<string, Character>();
    const out: Character[] = [];
    for (const c of sorted) {
        const names = [c.label, ...c.aliases].map(key).filter((n) => n !== "").map((n) => `${c.lang}\u0000${n}`);
        const into = names.map((n) => owner.get(n)).find((x) => x !== undefined);
        if (!into) {
            const copy = {...c, aliases: [...c.aliases], claims: [...c.claims]};
            out.push(copy);
            for (const n of names) owner.set(n, copy);
            continue;
        }
        for (const alias of [c.label, ...c.aliases])
            if (key(alias) !== key(into.label) && !into.aliases.some((a) => key(a) === key(alias))) into.aliases.push(alias);
        for (const claim of c.claims) if (!into.claims.includes(claim)) into.claims.push(claim);
        if (c.summary.length > into.summary.length) into.summary = c.summary;
        for (const n of names) if (!owner.has(n)) owner.set(n, into);
    }
    return out;
}
