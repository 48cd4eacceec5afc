import type {FilterName, Recipe} from "../recipes/recipeSchema.js";
import {duplicateFilter} from "./duplicateFilter.js";
import {emptyFilter} from "./emptyFilter.js";
import {languageFilter} from "./languageFilter.js";
import {lengthFilter} from "./lengthFilter.js";
import {nearDuplicateFilter} from "./nearDuplicateFilter.js";
import {roleBreakFilter} from "./roleBreakFilter.js";
import {truncatedFilter} from "./truncatedFilter.js";
import type {TurnFilter} from "./TurnFilter.js";

/**
 * The rule filters a recipe enables, in a fixed order: cheapest and most basic first, so a turn is
 * reported under its most basic fault; duplicates last, so a broken answer never "claims" a text
 * that a good one repeats. self_check needs the model and runs apart (selfCheck.ts).
 */
export function createFilters(f: Recipe["filters"]): TurnFilter[] {
    const order: Exclude<FilterName, "self_check">[] = ["empty", "truncated", "length", "language", "role_break", "duplicate", "near_duplicate"];
    return order.filter((n) => f.enabled.includes(n)).map((n): TurnFilter => {
        switch (n) {
            case "empty": return emptyFilter();
            case "truncated": return truncatedFilter();
            case "length": return lengthFilter(f.min_chars, f.max_chars);
            case "language": return languageFilter();
            case "role_break": return roleBreakFilter();
            case "duplicate": return duplicateFilter();
            case "near_duplicate": return nearDuplicateFilter(f.near_duplicate_threshold);
            default: {
                const never: never = n;
                throw new Error(`unknown filter ${String(never)}`);
            }
        }
    });
}
