import type {TurnFilter} from "./TurnFilter.js";

/** Drops answers cut off at max_tokens (or aborted): training on them teaches answers that stop mid-sentence. */
export function truncatedFilter(): TurnFilter {
    return {name: "truncated", check: ({turn}) => turn.finish === "stop" ? undefined : `finish=${turn.finish} after ${turn.tokens} tokens`};
}
