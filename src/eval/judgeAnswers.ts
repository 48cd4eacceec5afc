import {Rng} from "../random/Rng.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import type {GenerationBackend} from "../runtime/GenerationBackend.js";
import type {JsonlStore} from "../runs/JsonlStore.js";
import type {Answer} from "./answerSchema.js";
import type {EvalSession, EvalTurn} from "./evalSessionSchema.js";
import type {Character} from "../characters/characterSchema.js";
import {fitProfiles} from "../generate/fitProfiles.js";
import {promptTokensOf} from "../runtime/promptTokensOf.js";
import {judgePrompt, type JudgeRequest} from "./judgePrompt.js";
import {judgeKinds, type Judgement} from "./judgementSchema.js";

export type JudgeAnswersOptions = {
    sessions: EvalSession[],
    answers: Answer[],
    judge: GenerationBackend,
    /** eval/judgements.jsonl: finished judgements are skipped on a restart */
    store: JsonlStore<Judgement>,
    recipe: Recipe,
    signal?: AbortSignal,
    onJudgement?: (j: Judgement) => void,
    /**
     * the run's characters: the knowledge judge then reads the session character's profile (else
     * the eval set's stored one), either cut in tokens to fit the judge's context
     */
    characters?: readonly Character[]
};

/**
 * Every answer gets `eval.samples` judgements from each of the three judges at `eval.temperature`.
 * A sample whose output is truncated or not a valid value is retried with a new seed up to
 * `eval.judge_retries` times, then stored with `ok: false`: the report counts it as a failure.
 * Returns how many judgements were made now (finished ones from an earlier run are not redone).
 */
export async function judgeAnswers(options: JudgeAnswersOptions): Promise<{judged: number, skipped: number, trimmed: {profiles: number, tokens: number}}> {
    const {recipe, store} = options;
    const characters = new Map((options.characters ?? []).map((c) => [c.id, c]));
    const tokens = promptTokensOf(options.judge);
    const trimmed = new Set<string>();
    let removedTokens = 0;
    // the knowledge judge's profile cut at whole sentences and facts (fitProfiles) so that prompt
    // and judgement fit the judge's context, in tokens; characters.max_profile_chars (a limit for
    // the generation prompts) only where the judge cannot count tokens (a server). The other
    // judges do not read the profile.
    const requestFor = (kind: Judgement["kind"], session: EvalSession, turn: EvalTurn, answer: Answer): JudgeRequest => {
        const req = judgePrompt(kind, session, turn, answer);
        if (kind !== "knowledge") return req;
        const source = characters.get(session.character) ?? {id: session.character, label: session.label, text: session.profile};
        const fitted = fitProfiles([source], ([profile]) => judgePrompt(kind, {...session, profile: profile!}, turn, answer).messages,
            {maxChars: tokens ? Number.MAX_SAFE_INTEGER : recipe.characters.max_profile_chars, maxTokens: recipe.eval.judge_max_tokens, tokens});
        for (const id of fitted.trimmed) trimmed.add(id);
        removedTokens += fitted.removedTokens;
        return {...req, messages: fitted.messages};
    };
    const turns = new Map<string, {session: EvalSession, turn: EvalTurn}>();
    for (const session of options.sessions) for (const turn of session.turns) turns.set(turn.id, {session, turn});
    let judged = 0, skipped = 0;
    const jobs: Promise<void>[] = [];
    for (const answer of options.answers) {
        const t = turns.get(answer.turn);
        if (!t) continue; // an answer to a turn no longer in the set
        for (const kind of judgeKinds) {
            let prompt: JudgeRequest | undefined;  // one per answer and judge, made when a sample needs it
            for (let sample = 0; sample < recipe.eval.samples; sample++) {
                const id = `${answer.id}/${kind}/${sample}`;
                if (store.has(id)) { skipped++; continue; }
                const req = prompt ??= requestFor(kind, t.session, t.turn, answer);
                jobs.push((async () => {
                    let raw = "", error = "no output";
                    for (let attempt = 0; attempt <= recipe.eval.judge_retries; attempt++) {
                        if (options.signal?.aborted) return;
                        const res = await options.judge.generate({
                            messages: req.messages, jsonSchema: req.schema, signal: options.signal,
                            sampling: {temperature: recipe.eval.temperature, topP: 0.95, topK: 0, repeatPenalty: 1,
                                maxTokens: recipe.eval.judge_max_tokens, seed: new Rng(`judge:${recipe.seed}:${id}:${attempt}`).u32()}
                        }).catch((err: unknown) => {
                            if (options.signal?.aborted) return undefined;
                            throw err;
                        });
                        // an interrupted judgement is not a failed one: leave it for the resumed run
                        if (!res || res.finish === "abort") return;
                        raw = res.text;
                        let value: number | undefined;
                        if (res.finish === "length") error = `output cut at ${recipe.eval.judge_max_tokens} tokens (eval.judge_max_tokens)`;
                        else {
                            try {
                                value = req.read(JSON.parse(res.text));
                                if (value === undefined) error = "output is not a valid judgement";
                            } catch {
                                error = "output is not JSON";
                            }
                        }
                        if (value !== undefined) {
                            record({id, answer: answer.id, variant: answer.variant, session: answer.session, turn: answer.turn, kind, sample,
                                ok: true, value, attempts: attempt + 1, raw});
                            return;
                        }
                    }
                    record({id, answer: answer.id, variant: answer.variant, session: answer.session, turn: answer.turn, kind, sample,
                        ok: false, value: null, attempts: recipe.eval.judge_retries + 1, raw, error});
                })());
            }
        }
    }
    function record(j: Judgement) {
        store.append(j);
        judged++;
        options.onJudgement?.(j);
    }
    await Promise.all(jobs);
    store.sync();
    return {judged, skipped, trimmed: {profiles: trimmed.size, tokens: removedTokens}};
}
