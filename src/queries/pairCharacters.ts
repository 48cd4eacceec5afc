import type {Character} from "../characters/characterSchema.js";
import {Rng} from "../random/Rng.js";
import {stableId} from "../runs/stableId.js";
import {characterEra} from "./characterEra.js";
import type {Pair} from "./pairSchema.js";

/** Years apart from which two characters count as of different eras. */
const eraGap = 100;

/**
 * Gives every character a partner of the same language (the questions are asked in it), seeded,
 * preferring one of another category (real / fictional) and another era so the contrast questions
 * have something to contrast. A pair found from both sides is kept once. Characters alone in their
 * language get no pair.
 */
export function pairCharacters(characters: readonly Character[], seed: number): Pair[] {
    const sorted = [...characters].sort((x, y) => x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
    const rng = new Rng(`${seed}:pairs`);
    const pairs = new Map<string, Pair>();
    for (const a of sorted) {
        const others = sorted.filter((b) => b.id !== a.id && b.lang === a.lang);
        if (others.length === 0) continue;
        const eraA = characterEra(a);
        const score = (b: Character) => {
            const eraB = characterEra(b);
            return (b.category !== a.category ? 1 : 0) + (eraA !== undefined && eraB !== undefined && Math.abs(eraA - eraB) >= eraGap ? 1 : 0);
        };
        const best = Math.max(...others.map(score));
        const b = rng.pick(others.filter((o) => score(o) === best));
        const [x, y] = a.id < b.id ? [a, b] : [b, a];
        const id = stableId("p", x.id, y.id);
        if (!pairs.has(id)) pairs.set(id, {id, a: x.id, b: y.id, lang: a.lang});
    }
    return [...pairs.values()].sort((p, q) => p.id < q.id ? -1 : 1);
}
