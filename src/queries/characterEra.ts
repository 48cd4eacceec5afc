import type {Character} from "../characters/characterSchema.js";

/** A rough year for a character (the first year in its birth / date claims), or undefined when unknown. */
export function characterEra(c: Character): number | undefined {
    const dated = c.claims.find((x) => /birth|born|出生|date|floruit|period/i.test(x)) ?? c.claims.find((x) => /\b\d{3,4}\b/.test(x));
    const m = dated && /(-?)\b(\d{3,4})\b/.exec(dated);
    return m ? Number(m[1] + m[2]) : undefined;
}
