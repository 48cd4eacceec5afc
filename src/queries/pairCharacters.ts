import type {Character} from "../characters/characterSchema.js";
import {Rng} from "../random/Rng.js";
import {stableId} from "../runs/stableId.js";
import {characterEra} from "./characterEra.js";
import type {Pair} from "./pairSchema.js";

/** Years apart from which two characters count as of different eras. */
const eraGap = 100;

/** `index`: the member's place in its cell's dated or undated list */
type Member = {c: Character, era: number | undefined, index: number};
/** One category of one language: members with a known era sorted by era (then id), the others by id. */
type Cell = {category: string, dated: Member[], undated: Member[]};

const byId = (x: Member, y: Member) => (x.c.id < y.c.id ? -1 : x.c.id > y.c.id ? 1 : 0);

/** First index in `dated` whose era is >= year. */
function lowerBound(dated: Member[], year: number): number {
    let lo = 0, hi = dated.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (dated[mid]!.era! < year) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/** list[from, to) without `a` (found by its index), as a candidate part of the given score. */
function range(list: Member[], from: number, to: number, a: Member, score: number): {score: number, count: number, pick: (k: number) => Member} {
    const skip = list[a.index] === a && a.index >= from && a.index < to ? a.index : -1;
    return {score, count: to - from - (skip >= 0 ? 1 : 0), pick: (k) => list[from + k + (skip >= 0 && from + k >= skip ? 1 : 0)]!};
}

/**
 * Gives every character a partner of the same language (the questions are asked in it), seeded,
 * preferring one of another category (real / fictional) and another era so the contrast questions
 * have something to contrast: the partner is drawn uniformly from the best-scoring others. A pair
 * found from both sides is kept once. Characters alone in their language get no pair.
 * Scales to 100k characters: the candidates are counted and drawn from per-category lists sorted
 * by era (binary searches), never by scanning every other character.
 */
export function pairCharacters(characters: readonly Character[], seed: number): Pair[] {
    const members: Member[] = [...characters].map((c) => ({c, era: characterEra(c), index: 0})).sort(byId);
    const cells = new Map<string, Map<string, Cell>>();  // lang -> category -> cell
    for (const m of members) {
        const byCategory = cells.get(m.c.lang) ?? new Map<string, Cell>();
        cells.set(m.c.lang, byCategory);
        const cell = byCategory.get(m.c.category) ?? {category: m.c.category, dated: [], undated: []};
        byCategory.set(m.c.category, cell);
        (m.era === undefined ? cell.undated : cell.dated).push(m);
    }
    for (const byCategory of cells.values())
        for (const cell of byCategory.values()) {
            cell.dated.sort((x, y) => x.era! - y.era! || byId(x, y));
            cell.dated.forEach((m, i) => { m.index = i; });
            cell.undated.forEach((m, i) => { m.index = i; });
        }
    const rng = new Rng(`${seed}:pairs`);
    const pairs = new Map<string, Pair>();
    for (const a of members) {
        const group = [...cells.get(a.c.lang)!.values()].sort((x, y) => (x.category < y.category ? -1 : x.category > y.category ? 1 : 0));
        // per cell, the ranges of candidates with the other era ("far") and the same or an unknown era ("near")
        const parts: {score: number, pick: (k: number) => Member, count: number}[] = [];
        for (const cell of group) {
            const other = cell.category !== a.c.category ? 1 : 0;
            const lo = a.era === undefined ? 0 : lowerBound(cell.dated, a.era - eraGap + 1);
            const hi = a.era === undefined ? cell.dated.length : lowerBound(cell.dated, a.era + eraGap);
            if (a.era !== undefined) {
                parts.push({score: other + 1, count: lo, pick: (k) => cell.dated[k]!});
                parts.push({score: other + 1, count: cell.dated.length - hi, pick: (k) => cell.dated[hi + k]!});
            }
            // near: the undated members and dated[lo, hi), without `a` itself (no list is copied)
            parts.push(range(cell.undated, 0, cell.undated.length, a, other));
            parts.push(range(cell.dated, lo, hi, a, other));
        }
        const best = Math.max(-1, ...parts.filter((p) => p.count > 0).map((p) => p.score));
        if (best < 0) continue;
        const chosen = parts.filter((p) => p.score === best && p.count > 0);
        let k = rng.int(chosen.reduce((n, p) => n + p.count, 0));
        let b: Member | undefined;
        for (const p of chosen) {
            if (k < p.count) { b = p.pick(k); break; }
            k -= p.count;
        }
        const [x, y] = a.c.id < b!.c.id ? [a.c, b!.c] : [b!.c, a.c];
        const id = stableId("p", x.id, y.id);
        if (!pairs.has(id)) pairs.set(id, {id, a: x.id, b: y.id, lang: a.c.lang});
    }
    return [...pairs.values()].sort((p, q) => p.id < q.id ? -1 : 1);
}
