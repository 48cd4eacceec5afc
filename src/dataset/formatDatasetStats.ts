import type {DatasetStats} from "./datasetStats.js";

/** The stats as a plain-text table. */
export function formatDatasetStats(s: DatasetStats): string {
    const rows: [string, string][] = [
        ["characters", `${s.characters.total} (${s.characters.train} train, ${s.characters.eval} held out; ${s.characters.inDataset} in the data set)`],
        ["sessions", String(s.sessions)],
        ["turns", `${s.turns.total} (${s.turns.own} own, ${s.turns.partner} partner)`],
        ["answer tokens", String(s.answerTokens)],
        ["generated", `${s.generated.turns} answers, ${s.generated.tokens} tokens`],
        ...Object.entries(s.languages).sort().map(([l, v]): [string, string] => [`language ${l}`, `${v.sessions} sessions, ${v.turns} turns`]),
        ...Object.entries(s.drops).sort().map(([r, n]): [string, string] => [`dropped ${r}`, String(n)])
    ];
    const w = Math.max(...rows.map(([k]) => k.length));
    return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}
