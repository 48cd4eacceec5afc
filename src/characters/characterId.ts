import {stableId} from "../runs/stableId.js";

/** The id of a character without one: a hash of its name and language, so re-imports name it the same. */
export function characterId(label: string, lang: string): string {
    return stableId("c", label.trim().toLowerCase(), lang.trim().toLowerCase());
}
