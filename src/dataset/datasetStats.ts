import {existsSync} from "node:fs";
import {join} from "node:path";
import {characterSchema} from "../characters/characterSchema.js";
import {rejectionSchema} from "../filters/rejectionSchema.js";
import {turnSchema} from "../responses/turnSchema.js";
import {readJsonl} from "../runs/readJsonl.js";
import {readManifest} from "../runs/readManifest.js";
import {trainingExampleSchema} from "./trainingExampleSchema.js";

export type DatasetStats = {
    characters: {total: number, train: number, eval: number, inDataset: number},
    sessions: number,
    turns: {total: number, own: number, partner: number},
    /** generated tokens of the kept answers (from responses.jsonl) */
    answerTokens: number,
    languages: Record<string, {sessions: number, turns: number}>,
    /** dropped records by stage/reason */
    drops: Record<string, number>,
    generated: {turns: number, tokens: number}
};

/** What a run's data set holds and what was dropped on the way (`ditto dataset stats RUN`). */
export function datasetStats(runDir: string): DatasetStats {
    const examples = readJsonl(join(runDir, "dataset.jsonl"), trainingExampleSchema);
    const characters = existsSync(join(runDir, "characters.jsonl")) ? readJsonl(join(runDir, "characters.jsonl"), characterSchema) : [];
    const responses = existsSync(join(runDir, "responses.jsonl")) ? readJsonl(join(runDir, "responses.jsonl"), turnSchema) : [];
    const rejected = existsSync(join(runDir, "rejected.jsonl")) ? readJsonl(join(runDir, "rejected.jsonl"), rejectionSchema) : [];
    const split = readManifest(runDir)?.split;
    const tokensByAnswer = new Map<string, number>();
    for (const t of responses) tokensByAnswer.set(`${t.character}\u0000${t.question}\u0000${t.answer}`, t.tokens);
    const languages: DatasetStats["languages"] = {};
    let own = 0, partner = 0, answerTokens = 0;
    const inDataset = new Set<string>();
    for (const e of examples) {
        const lang = String(e.meta?.lang ?? "unknown");
        const turns = e.messages.filter((m) => m.role === "assistant").length;
        const l = languages[lang] ??= {sessions: 0, turns: 0};
        l.sessions++; l.turns += turns;
        for (const p of e.meta?.provenance ?? []) p === "own" ? own++ : partner++;
        const character = String(e.meta?.character ?? "");
        inDataset.add(character);
        for (let i = 1; i + 1 < e.messages.length; i += 2)
            answerTokens += tokensByAnswer.get(`${character}\u0000${e.messages[i]!.content}\u0000${e.messages[i + 1]!.content}`) ?? 0;
    }
    const drops: Record<string, number> = {};
    for (const r of rejected) drops[`${r.stage}/${r.reason}`] = (drops[`${r.stage}/${r.reason}`] ?? 0) + 1;
    return {
        characters: {total: characters.length, train: split?.train.length ?? characters.length, eval: split?.eval.length ?? 0, inDataset: inDataset.size},
        sessions: examples.length,
        turns: {total: own + partner, own, partner},
        answerTokens, languages, drops,
        generated: {turns: responses.length, tokens: responses.reduce((s, t) => s + t.tokens, 0)}
    };
}
