import {normalizeText} from "./normalizeText.js";
import type {TurnFilter} from "./TurnFilter.js";

/** Drops an answer that repeats an earlier one exactly (after case and whitespace folding). */
export function duplicateFilter(): TurnFilter {
    const seen = new Map<string, string>();
    return {name: "duplicate", check: ({turn}) => {
        const key = normalizeText(turn.answer);
        const first = seen.get(key);
        if (first !== undefined) return `same answer as ${first}`;
        seen.set(key, turn.id);
        return undefined;
    }};
}
