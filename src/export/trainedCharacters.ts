import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {characterSchema, type Character} from "../characters/characterSchema.js";
import {DittoError} from "../errors/DittoError.js";

export type TrainedCharacter = {
    character: Character,
    /** the system prompt of its training sessions, exactly as trained */
    system: string,
    /** its first trained exchanges */
    examples: {question: string, answer: string}[]
};

/**
 * The characters the run's adapter was trained on: those with sessions in dataset.jsonl, each with
 * the system line its sessions carried (read from the data set, not rebuilt, so it is the very
 * prompt the adapter learned) and up to `examples` of its exchanges.
 */
export function trainedCharacters(runDir: string, options: {examples?: number} = {}): TrainedCharacter[] {
    const charactersPath = join(runDir, "characters.jsonl");
    const datasetPath = join(runDir, "dataset.jsonl");
    for (const p of [charactersPath, datasetPath])
        if (!existsSync(p)) throw new DittoError(`${p} not found: the run has no trained characters yet`, {hint: `run \`ditto train --run ${runDir}\` first`, code: "EXPORT_NO_DATASET"});
    const byId = new Map<string, Character>();
    readFileSync(charactersPath, "utf8").split("\n").forEach((line, i) => {
        if (!line.trim()) return;
        const res = characterSchema.safeParse(parseLine(line, charactersPath, i));
        if (!res.success) throw new DittoError(`${charactersPath}:${i + 1}: not a character record: ${res.error.issues[0]?.message}`, {hint: "regenerate the run's characters stage"});
        byId.set(res.data.id, res.data);
    });
    const trained = new Map<string, TrainedCharacter>();
    const wanted = options.examples ?? 2;
    readFileSync(datasetPath, "utf8").split("\n").forEach((line, i) => {
        if (!line.trim()) return;
        const rec = parseLine(line, datasetPath, i) as {messages?: {role: string, content: string}[], meta?: {character?: string}};
        const id = rec.meta?.character;
        const messages = rec.messages ?? [];
        if (!id || messages[0]?.role !== "system") return;
        const character = byId.get(id);
        if (!character) throw new DittoError(`${datasetPath}:${i + 1}: character ${id} is not in ${charactersPath}`, {hint: "the run folder is inconsistent: regenerate it"});
        let t = trained.get(id);
        if (!t) trained.set(id, t = {character, system: messages[0].content, examples: []});
        for (let k = 1; k + 1 < messages.length && t.examples.length < wanted; k += 2)
            if (messages[k]!.role === "user" && messages[k + 1]!.role === "assistant") t.examples.push({question: messages[k]!.content, answer: messages[k + 1]!.content});
    });
    return [...trained.values()].sort((a, b) => a.character.id < b.character.id ? -1 : 1);
}

function parseLine(line: string, file: string, i: number): unknown {
    try { return JSON.parse(line); } catch { throw new DittoError(`${file}:${i + 1}: not valid JSON`, {hint: "regenerate the run"}); }
}
