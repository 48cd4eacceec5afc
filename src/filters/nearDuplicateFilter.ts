import {MinHash} from "./MinHash.js";
import {normalizeText} from "./normalizeText.js";
import type {TurnFilter} from "./TurnFilter.js";

/** Answers shorter than this are left to the exact-duplicate filter: short texts share n-grams by chance. */
const minChars = 20;

/**
 * Drops an answer whose character 5-gram Jaccard similarity (estimated by MinHash, candidates found
 * by LSH bands of 4 rows) with an earlier answer reaches `threshold`.
 */
export function nearDuplicateFilter(threshold: number): TurnFilter {
    const mh = new MinHash(64, 5);
    const rows = 4;
    const buckets = new Map<string, {id: string, sig: Uint32Array}[]>();
    return {name: "near_duplicate", check: ({turn}) => {
        const text = normalizeText(turn.answer);
        if ([...text].length < minChars) return undefined;
        const sig = mh.signature(mh.shingles(text));
        const keys: string[] = [];
        for (let b = 0; b * rows < sig.length; b++) keys.push(`${b}:${Array.from(sig.subarray(b * rows, (b + 1) * rows)).join(",")}`);
        for (const key of keys) {
            for (const other of buckets.get(key) ?? []) {
                const sim = MinHash.similarity(sig, other.sig);
                if (sim >= threshold) return `about ${Math.round(sim * 100)}% the same 5-grams as ${other.id}`;
            }
        }
        for (const key of keys) {
            const list = buckets.get(key) ?? [];
            list.push({id: turn.id, sig});
            buckets.set(key, list);
        }
        return undefined;
    }};
}
