import {scriptShares, type ScriptShares} from "./scriptShares.js";
import type {TurnFilter} from "./TurnFilter.js";

/**
 * The share of letters a language's script must reach. Script, not vocabulary: simple, needs no
 * model, and catches what goes wrong in practice (an English answer in a Chinese session, or the
 * other way round). Chinese answers keep Latin names, so its bar is lower. Languages not listed
 * are not checked.
 */
const rules: Record<string, {script: string, min: number, share: (s: ScriptShares) => number}> = {
    zh: {script: "Han", min: 0.5, share: (s) => s.han},
    ja: {script: "Han + kana", min: 0.5, share: (s) => s.han + s.kana},
    ko: {script: "Hangul", min: 0.5, share: (s) => s.hangul + s.han},
    ru: {script: "Cyrillic", min: 0.7, share: (s) => s.cyrillic},
    uk: {script: "Cyrillic", min: 0.7, share: (s) => s.cyrillic},
    ar: {script: "Arabic", min: 0.7, share: (s) => s.arabic},
    ...Object.fromEntries(["en", "fr", "de", "es", "it", "pt", "nl", "sv", "pl", "tr", "vi", "id"].map((l) => [l, {script: "Latin", min: 0.8, share: (s: ScriptShares) => s.latin}]))
};

export function languageFilter(): TurnFilter {
    return {name: "language", check: ({turn, lang}) => {
        const rule = rules[lang.toLowerCase().split("-")[0]!];
        if (!rule) return undefined;
        const s = scriptShares(turn.answer);
        if (s.letters === 0) return undefined; // empty answers are the empty filter's to report
        const share = rule.share(s);
        return share >= rule.min ? undefined : `${Math.round(share * 100)}% of letters in ${rule.script} script (${lang} needs ${Math.round(rule.min * 100)}%)`;
    }};
}
