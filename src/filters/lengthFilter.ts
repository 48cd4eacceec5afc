import type {TurnFilter} from "./TurnFilter.js";

/** Drops answers shorter than `min` or longer than `max` characters. */
export function lengthFilter(min: number, max: number): TurnFilter {
    return {name: "length", check: ({turn}) => {
        const n = [...turn.answer.trim()].length;
        return n < min ? `${n} characters, fewer than min_chars ${min}` : n > max ? `${n} characters, more than max_chars ${max}` : undefined;
    }};
}
