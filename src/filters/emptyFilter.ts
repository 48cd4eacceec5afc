import type {TurnFilter} from "./TurnFilter.js";

/** Drops answers with no letters or digits at all (blank, or only punctuation and symbols). */
export function emptyFilter(): TurnFilter {
    return {name: "empty", check: ({turn}) => /[\p{L}\p{N}]/u.test(turn.answer) ? undefined : "the answer has no words"};
}
