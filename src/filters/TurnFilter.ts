import type {Character} from "../characters/characterSchema.js";
import type {FilterName} from "../recipes/recipeSchema.js";
import type {Turn} from "../responses/turnSchema.js";

/** What a filter sees: one turn with its character and session language. */
export type FilterInput = {turn: Turn, character: Character, lang: string};

/**
 * A rule over turns: `check` returns why the turn is dropped (the detail written to rejected.jsonl),
 * or undefined to keep it. Filters that remember what they saw (duplicates) are made fresh per run
 * and see turns in a fixed order, so the same input drops the same turns.
 */
export type TurnFilter = {name: FilterName, check(input: FilterInput): string | undefined};
