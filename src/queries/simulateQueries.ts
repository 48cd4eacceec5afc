import type {Character} from "../characters/characterSchema.js";
import type {Rejection} from "../filters/rejectionSchema.js";
import type {Generator} from "../generate/Generator.js";
import {fitProfiles, type PromptTokens} from "../generate/fitProfiles.js";
import {generationFailed} from "../generate/generationFailed.js";
import type {PromptTemplates} from "../generate/PromptTemplates.js";
import type {JsonlStore} from "../runs/JsonlStore.js";
import {seedFor} from "../runs/seedFor.js";
import {stableId} from "../runs/stableId.js";
import type {Sampling} from "../runtime/generationTypes.js";
import type {Pair} from "./pairSchema.js";
import {parseQuestions} from "./parseQuestions.js";
import type {Query} from "./querySchema.js";
import {questionsSchema} from "./questionsSchema.js";

export type SimulateQueriesOptions = {
    generator: Generator,
    prompts: PromptTemplates,
    pairs: readonly Pair[],
    characters: ReadonlyMap<string, Character>,
    queriesPerPair: number,
    samples: number,
    bothDirections: boolean,
    maxProfileChars: number,
    /** the model's tokenizer and context: profiles are cut so that each prompt fits */
    tokens?: PromptTokens,
    questionMaxChars: number,
    sampling: Sampling,
    seed: number,
    store: JsonlStore<Query>,
    rejects: JsonlStore<Rejection>,
    /** called after each finished group with the number done so far and the total */
    onProgress?: (done: number, total: number) => void
};

/**
 * Stage 2a: for each pair and direction (owner -> other), the model writes questions the owner can
 * answer and the other cannot. Each question becomes two queries: "own" for the owner and "partner"
 * for the other (the rejection label). Up to `samples` samples, the first usable one kept; a group
 * with none is recorded in rejects. Finished groups (all ids stored) are skipped, so a restart
 * resumes; each sample's seed comes from the group id, so a restart asks exactly the same.
 * Returns how many characters' profiles were cut to fit the context, and the tokens cut (this call).
 */
export async function simulateQueries(o: SimulateQueriesOptions): Promise<{profiles: number, tokens: number}> {
    const trimmed = new Set<string>();
    let removed = 0;
    const groups = o.pairs.flatMap((p) => (o.bothDirections ? [[p.a, p.b], [p.b, p.a]] : [[p.a, p.b]]).map(([owner, other]) => ({pair: p, owner: owner!, other: other!})));
    const schema = questionsSchema(o.queriesPerPair, o.questionMaxChars);
    let done = 0;
    const finishOne = () => o.onProgress?.(++done, groups.length);
    // the total at once, so the display never counts against an unknown total
    o.onProgress?.(0, groups.length);
    await Promise.all(groups.map(async ({pair, owner, other}) => {
        const groupId = stableId("g", pair.id, owner);
        const ids = Array.from({length: o.queriesPerPair}, (_, i) => [stableId("q", groupId, i, "own"), stableId("q", groupId, i, "partner")] as const);
        if (o.rejects.has(groupId) || ids.every(([a, b]) => o.store.has(a) && o.store.has(b))) { finishOne(); return; }
        const A = o.characters.get(owner)!, B = o.characters.get(other)!;
        const fitted = fitProfiles([A, B], ([profile, partner]) => [{role: "user", content: o.prompts.render("query", pair.lang, {
            label: A.label, profile: profile!, partner_label: B.label, partner_profile: partner!, count: o.queriesPerPair
        })}], {maxChars: o.maxProfileChars, maxTokens: o.sampling.maxTokens, tokens: o.tokens});
        fitted.trimmed.forEach((id) => trimmed.add(id));
        removed += fitted.removedTokens;
        const problems: string[] = [];
        for (let s = 0; s < o.samples; s++) {
            const res = await o.generator.generate({messages: fitted.messages, sampling: {...o.sampling, seed: seedFor(o.seed, groupId, s)}, jsonSchema: schema})
                .catch((err: unknown) => { throw generationFailed(groupId, err); });
            const parsed = parseQuestions(res, o.queriesPerPair);
            if ("problem" in parsed) { problems.push(`sample ${s + 1}: ${parsed.problem}`); continue; }
            parsed.questions.forEach((question, i) => {
                const base = {pair: pair.id, owner: A.id, lang: pair.lang, question};
                o.store.append({id: ids[i]![0], asker: A.id, provenance: "own", ...base});
                o.store.append({id: ids[i]![1], asker: B.id, provenance: "partner", ...base});
            });
            finishOne();
            return;
        }
        o.rejects.append({id: groupId, stage: "queries", reason: "no_valid_sample", detail: problems.join("; "), record: {pair: pair.id, owner: A.id, other: B.id}});
        finishOne();
    }));
    return {profiles: trimmed.size, tokens: removed};
}
