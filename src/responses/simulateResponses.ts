import type {Character} from "../characters/characterSchema.js";
import type {Generator} from "../generate/Generator.js";
import {fitProfiles, type PromptTokens} from "../generate/fitProfiles.js";
import {generationFailed} from "../generate/generationFailed.js";
import type {PromptTemplates} from "../generate/PromptTemplates.js";
import type {Query} from "../queries/querySchema.js";
import type {JsonlStore} from "../runs/JsonlStore.js";
import {seedFor} from "../runs/seedFor.js";
import type {Sampling} from "../runtime/generationTypes.js";
import type {Turn} from "./turnSchema.js";

export type SimulateResponsesOptions = {
    generator: Generator,
    prompts: PromptTemplates,
    queries: readonly Query[],
    characters: ReadonlyMap<string, Character>,
    maxProfileChars: number,
    /** the model's tokenizer and context: a profile is cut so that the prompt with its longest question fits */
    tokens?: PromptTokens,
    sampling: Sampling,
    seed: number,
    store: JsonlStore<Turn>,
    onProgress?: (done: number, total: number) => void
};

/** The turn id of a query: the same hash, so the two files line up by eye too. */
export function turnIdFor(queryId: string): string {
    return "t-" + queryId.slice(queryId.indexOf("-") + 1);
}

/**
 * Stage 2b (reading comprehension): each question answered on its own, by the asker in character,
 * with its full profile in the system prompt; a partner question should be refused in character.
 * Every answer is kept here with its finish reason; judging is the filters' job. Seeds come from
 * the turn id, and stored turns are skipped, so a restart resumes where it stopped.
 * Returns how many profiles were cut to fit the context, and the tokens cut (this call).
 */
export async function simulateResponses(o: SimulateResponsesOptions): Promise<{profiles: number, tokens: number}> {
    let done = 0, trimmed = 0, removed = 0;
    // one system prompt per character, fitted with its longest question, so every question fits with it
    const longest = new Map<string, {question: string, tokens: number}>();
    for (const q of o.queries) {
        const n = o.tokens ? o.tokens.textTokens(q.question) : q.question.length;
        if (n > (longest.get(q.asker)?.tokens ?? -1)) longest.set(q.asker, {question: q.question, tokens: n});
    }
    const total = o.queries.length;
    o.onProgress?.(0, total);
    const systems = new Map<string, string>();
    await Promise.all(o.queries.map(async (q) => {
        const id = turnIdFor(q.id);
        if (!o.store.has(id)) {
            const c = o.characters.get(q.asker)!;
            let system = systems.get(c.id);
            if (system === undefined) {
                const fitted = fitProfiles([c], ([profile]) => [
                    {role: "system", content: o.prompts.render("response", q.lang, {label: c.label, description: c.description, profile: profile!})},
                    {role: "user", content: longest.get(c.id)!.question}
                ], {maxChars: o.maxProfileChars, maxTokens: o.sampling.maxTokens, tokens: o.tokens});
                system = fitted.messages[0]!.content;
                systems.set(c.id, system);
                trimmed += fitted.trimmed.length;
                removed += fitted.removedTokens;
            }
            const res = await o.generator.generate({
                messages: [{role: "system", content: system}, {role: "user", content: q.question}],
                sampling: {...o.sampling, seed: seedFor(o.seed, id)}
            }).catch((err: unknown) => { throw generationFailed(id, err); });
            o.store.append({id, query: q.id, character: c.id, question: q.question, answer: res.text.trim(),
                provenance: q.provenance, finish: res.finish, tokens: res.tokens});
        }
        o.onProgress?.(++done, total);
    }));
    return {profiles: trimmed, tokens: removed};
}
