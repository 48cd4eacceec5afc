import type {Character} from "../characters/characterSchema.js";
import {renderProfile} from "../characters/renderProfile.js";
import type {Generator} from "../generate/Generator.js";
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
 */
export async function simulateResponses(o: SimulateResponsesOptions): Promise<void> {
    let done = 0;
    const total = o.queries.length;
    o.onProgress?.(0, total);
    const systems = new Map<string, string>();
    await Promise.all(o.queries.map(async (q) => {
        const id = turnIdFor(q.id);
        if (!o.store.has(id)) {
            const c = o.characters.get(q.asker)!;
            let system = systems.get(c.id);
            if (system === undefined) {
                system = o.prompts.render("response", q.lang, {label: c.label, description: c.description, profile: renderProfile(c, o.maxProfileChars)});
                systems.set(c.id, system);
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
}
