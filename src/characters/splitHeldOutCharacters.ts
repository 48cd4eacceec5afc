import {Rng} from "../random/Rng.js";
import type {Character} from "./characterSchema.js";

/**
 * Held-out characters for evaluation, chosen by seed, spread evenly over the languages
 * (the paper's WikiRoleEval mixes English and Chinese); they never enter the data set.
 */
export function splitHeldOutCharacters(characters: readonly Character[], heldOut: number, seed: number): {train: string[], eval: string[]} {
    const ids = characters.map((c) => c.id).sort();
    const order = new Rng(`${seed}:held-out`).shuffle([...ids]);
    const byId = new Map(characters.map((c) => [c.id, c]));
    const langs = [...new Set(characters.map((c) => c.lang))].sort();
    const evalIds = new Set<string>();
    // round-robin over languages in shuffled order, so each language gives its share
    const queues = langs.map((l) => order.filter((id) => byId.get(id)!.lang === l));
    for (let i = 0; evalIds.size < Math.min(heldOut, ids.length); i++) {
        const q = queues[i % queues.length]!;
        const next = q.shift();
        if (next !== undefined) evalIds.add(next);
    }
    return {train: ids.filter((id) => !evalIds.has(id)), eval: ids.filter((id) => evalIds.has(id))};
}
