import type {Character} from "../characters/characterSchema.js";
import {Rng} from "../random/Rng.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import type {GenerationBackend} from "../runtime/GenerationBackend.js";
import type {ChatMessage} from "../runtime/generationTypes.js";
import {promptTokensOf} from "../runtime/promptTokensOf.js";
import {JsonlStore} from "../runs/JsonlStore.js";
import {evalQuestionSchema, type EvalQuestion} from "./evalQuestionSchema.js";
import {languageName} from "../generate/languageName.js";
import {fitProfiles, type PromptTokens} from "../generate/fitProfiles.js";

export type GenerateEvalQuestionsOptions = {
    /** held-out characters that need questions */
    characters: Character[],
    /** every character of the run: partners are drawn from the other held-out ones first, then from these */
    all: Character[],
    pool: GenerationBackend,
    recipe: Recipe,
    /** eval/questions.jsonl: resumable, a restart skips characters already done */
    path: string,
    signal?: AbortSignal,
    /** a line per finished question list, one when the model is given up on, one when profiles were cut to fit */
    log?: (line: string) => void,
    /** the model's tokenizer and context: profiles are cut to fit in tokens (default: the pool's, when it counts them) */
    tokens?: PromptTokens
};

function questionsSchema(n: number, maxChars: number) {
    // bounded strings, as in the queries stage: a sample that rambles ends at the limit instead of at max_tokens
    return {
        type: "object",
        properties: {questions: {type: "array", items: {type: "string", minLength: 1, maxLength: maxChars}, minItems: n, maxItems: n}},
        required: ["questions"]
    };
}

function prompt(a: Character, b: Character, profileA: string, profileB: string, n: number): string {
    return [
        "Here are two characters.", "", "Character A:", profileA, "", "Character B:", profileB, "",
        `Write ${n} questions that someone could ask ${a.label} in a conversation: questions that fit A's era, setting, occupation and knowledge, that A can answer but B could not.`,
        `Casual, addressed to A as "you", in ${languageName(a.lang)}. Do not write A's name.`,
        `Reply as JSON: {"questions": ["...", ...]}`
    ].join("\n");
}

/** Properties every person has: a partner question about them would not belong to the partner's world. */
const generic = /^(occupation|born|birth|died|death|nationality|citizenship|gender|sex|name)/i;

/**
 * Fallback questions from "property: value" claims, so a model that writes nothing valid still
 * yields a usable set (origin "template"): own questions ask for the property (the value is the
 * answer); partner questions ask about one of the partner's specific facts.
 */
function templateQuestions(owner: Character, provenance: "own" | "partner", n: number, lang: string): string[] {
    // in the session's language (the asker's): English, or Chinese for zh
    const zh = lang.toLowerCase().startsWith("zh");
    const out: string[] = [];
    const claims = owner.claims.map((c) => {
        const [property = "", ...rest] = c.split(":");
        return {property: property.trim(), value: rest.join(":").trim()};
    }).filter((c) => c.property && c.value);
    for (const {property, value} of provenance === "own" ? claims : claims.filter((c) => !generic.test(c.property))) {
        out.push(provenance === "partner" ? (zh ? `你对${value}了解多少?` : `What do you know about ${value}?`)
            : /^(born|birth)/i.test(property) ? (zh ? "你是什么时候在哪里出生的?" : "When and where were you born?")
                : zh ? `能说说你的${property}吗?` : `What can you tell me about your ${property}?`);
        if (out.length >= n) break;
    }
    if (out.length === 0) out.push(provenance === "own" ? (zh ? "说说你的生平和成就吧。" : "Tell me about your life and your work.")
        : zh ? `你怎么看${owner.label}?` : `What do you think of ${owner.label}?`);
    return out;
}

/**
 * Questions for held-out characters the pipeline wrote none for (method.md stage 2a): each held-out
 * character A gets a partner B; the model writes questions A can answer but B cannot (A's own) and,
 * the other way round, B's questions (partner questions A should refuse). Grammar-constrained JSON;
 * after `generate.samples` attempts without a valid list, claim-based template questions stand in.
 */
export async function generateEvalQuestions(options: GenerateEvalQuestionsOptions): Promise<EvalQuestion[]> {
    const {recipe, pool} = options;
    const n = recipe.eval.questions;
    const store = JsonlStore.open<EvalQuestion>(options.path, {parse: (v) => evalQuestionSchema.parse(v)});
    const heldOutIds = new Set(options.characters.map((c) => c.id));
    const sampling = recipe.generate.query_sampling;

    // A model that writes no usable list in its first round of attempts (a random-weight or too
    // small model) is not asked again: the remaining lists come from profile claims at once.
    const giveUp = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, giveUp.signal]) : giveUp.signal;
    let usable = 0, failed = 0;
    // the first round of attempts (one per held-out character, made at once), at most `samples`
    const giveUpAfter = Math.max(1, Math.min(recipe.generate.samples, options.characters.length));
    const ask = async (a: Character, b: Character, seed: string): Promise<string[] | undefined> => {
        const messages = messagesFor(a, b);
        for (let attempt = 0; attempt < recipe.generate.samples && !giveUp.signal.aborted; attempt++) {
            const qs = await attemptOnce(messages, seed, attempt);
            if (qs) { usable++; return qs; }
            if (++failed >= giveUpAfter && usable === 0 && !giveUp.signal.aborted && !options.signal?.aborted) {
                options.log?.(`the model wrote no usable question in ${failed} attempts: the rest come from profile claims`);
                giveUp.abort();
            }
        }
        return undefined;
    };
    // the two profiles cut, at whole sentences and facts, so that the prompt and the answer fit the context
    const tokens = options.tokens ?? promptTokensOf(pool);
    const trimmed = new Set<string>();
    let removedTokens = 0;
    const messagesFor = (a: Character, b: Character) => {
        const fitted = fitProfiles([a, b], ([profileA, profileB]) => [{role: "user", content: prompt(a, b, profileA!, profileB!, n)}],
            {maxChars: recipe.characters.max_profile_chars / 2, maxTokens: sampling.max_tokens, tokens});
        for (const id of fitted.trimmed) trimmed.add(id);
        removedTokens += fitted.removedTokens;
        return fitted.messages;
    };
    const attemptOnce = async (messages: ChatMessage[], seed: string, attempt: number): Promise<string[] | undefined> => {
        const res = await pool.generate({
            messages,
            jsonSchema: questionsSchema(n, recipe.generate.question_max_chars),
            sampling: {temperature: sampling.temperature, topP: sampling.top_p, topK: sampling.top_k, repeatPenalty: sampling.repeat_penalty,
                maxTokens: sampling.max_tokens, seed: new Rng(`${seed}:${attempt}`).u32()},
            signal
        }).catch((err: unknown) => {
            if (signal.aborted) return undefined;
            throw err;
        });
        if (!res || res.finish !== "stop") return undefined;
        try {
            const qs = (JSON.parse(res.text) as {questions: string[]}).questions.map((q) => q.trim()).filter((q) => q.length > 3);
            if (qs.length > 0) return qs;
        } catch { /* truncated or empty: try again */ }
        return undefined;
    };
    const jobsTotal = options.characters.length * 2;
    let jobsDone = 0;
    // a line at least every 10 s while lists are being written (one list can take minutes on a CPU)
    const tokens0 = (pool as {generatedTokens?: number}).generatedTokens ?? 0;
    const tick = setInterval(() => options.log?.(`questions ${jobsDone}/${jobsTotal}: writing (${((pool as {generatedTokens?: number}).generatedTokens ?? tokens0) - tokens0} tokens so far)`), 10_000);
    tick.unref();
    try {
        await Promise.all(options.characters.map(async (a) => {
            const rng = new Rng(`eval-partner:${recipe.seed}:${a.id}`);
            const others = options.characters.filter((c) => c.id !== a.id);
            const b = others.length > 0 ? rng.pick(others) : rng.pick(options.all.filter((c) => c.id !== a.id && !heldOutIds.has(c.id)).concat(a));
            // with a single character in the whole run there is nobody to borrow partner questions from
            const jobs: [Character, Character, "own" | "partner"][] = b.id === a.id ? [[a, a, "own"]] : [[a, b, "own"], [b, a, "partner"]];
            for (const [x, y, provenance] of jobs) {
                const id = `evq-${a.id}-${provenance}`;
                if (store.has(`${id}-0`) || options.signal?.aborted) continue;
                const generated = x.id === y.id ? undefined : await ask(x, y, `${recipe.seed}:${id}`);
                if (options.signal?.aborted) return; // an interrupted answer is not a failed one: no template stand-in
                const origin = generated ? "model" : "template";
                const qs = generated ?? templateQuestions(x, provenance, n, a.lang);
                qs.forEach((question, i) => store.append({id: `${id}-${i}`, asker: a.id, owner: x.id, provenance, lang: a.lang, question, origin}));
                options.log?.(`questions ${++jobsDone}/${jobsTotal}: ${a.label} (${provenance}) ${qs.length} from ${origin === "model" ? "the model" : "profile claims"}`);
            }
        }));
    } finally {
        clearInterval(tick);
    }
    if (trimmed.size > 0) options.log?.(`${trimmed.size} profile(s) cut by ${removedTokens} tokens to fit the context`);
    if (options.signal?.aborted) store.sync();
    else store.finalize();
    return store.values();
}

