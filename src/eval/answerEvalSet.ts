import {Rng} from "../random/Rng.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import type {GenerationBackend} from "../runtime/GenerationBackend.js";
import type {ChatMessage} from "../runtime/generationTypes.js";
import type {JsonlStore} from "../runs/JsonlStore.js";
import type {Answer, EvalVariant} from "./answerSchema.js";
import type {EvalSession} from "./evalSessionSchema.js";

export type AnswerEvalSetOptions = {
    sessions: EvalSession[],
    /** the model under test: the base model, or the base model with the adapter loaded */
    pool: GenerationBackend,
    variant: EvalVariant,
    /** eval/answers.jsonl, shared by both variants */
    store: JsonlStore<Answer>,
    recipe: Recipe,
    signal?: AbortSignal,
    onAnswer?: (answer: Answer) => void
};

/**
 * The model under test answers each session's turns in order in one conversation (one leased
 * sequence, so the KV cache carries the history), seeing only the one-line system prompt; the
 * pool runs `parallel` sessions at once. The chat template places the system line (templates
 * without a system role fold it into the first user turn). A session cut short resumes from its
 * stored answers, which become the history again.
 */
export async function answerEvalSet(options: AnswerEvalSetOptions): Promise<void> {
    const {store, variant, recipe} = options;
    const s = recipe.generate.sampling;
    await Promise.all(options.sessions.map((session) => {
        const ids = session.turns.map((t) => `${variant}/${t.id}`);
        if (ids.every((id) => store.has(id))) return Promise.resolve();
        return options.pool.lease(async (seq) => {
            const messages: ChatMessage[] = [{role: "system", content: session.system}];
            for (let i = 0; i < session.turns.length; i++) {
                const turn = session.turns[i]!;
                messages.push({role: "user", content: turn.question});
                const done = store.get(ids[i]!);
                if (done) {
                    messages.push({role: "assistant", content: done.answer});
                    continue;
                }
                if (options.signal?.aborted) return;
                const res = await seq.generate({
                    messages,
                    sampling: {temperature: recipe.eval.answer_temperature, topP: s.top_p, topK: s.top_k, repeatPenalty: s.repeat_penalty,
                        maxTokens: recipe.eval.max_tokens, seed: new Rng(`answer:${recipe.seed}:${ids[i]}`).u32()},
                    signal: options.signal
                }).catch((err: unknown) => {
                    if (options.signal?.aborted) return undefined;
                    throw err;
                });
                // an interrupted answer is not stored: the resumed run answers the turn again
                if (!res || res.finish === "abort") return;
                const answer: Answer = {id: ids[i]!, variant, session: session.id, turn: turn.id, index: i, question: turn.question,
                    answer: res.text.trim(), finish: res.finish, tokens: res.tokens};
                store.append(answer);
                options.onAnswer?.(answer);
                messages.push({role: "assistant", content: answer.answer});
            }
        });
    }));
    store.sync();
}
