import type {Character} from "../characters/characterSchema.js";
import {DittoError} from "../errors/DittoError.js";
import type {ChatMessage} from "../runtime/generationTypes.js";

/** What fitting needs from the model: its tokenizer and chat template, and the tokens a sequence holds. */
export type PromptTokens = {
    readonly contextSize: number,
    /** tokens the model reads for `messages`, chat template included */
    promptTokens(messages: ChatMessage[]): number,
    textTokens(text: string): number
};

/** A profile already rendered (an evaluation set's stored one): cut at its lines and sentences, its first two lines (name, description) kept. */
export type RenderedProfile = {id: string, label: string, text: string};

export type FittedPrompt = {
    messages: ChatMessage[],
    /** ids of the characters whose profile was shortened to fit */
    trimmed: string[],
    /** tokens the shortening removed from the prompt */
    removedTokens: number
};

/**
 * The prompt rendered with the profiles of `characters`, each cut at whole sentences and facts so
 * that the prompt plus `maxTokens` to generate fits the model's context (counted with the model's
 * own tokenizer, so Chinese and English are measured alike). The name and description always stay;
 * the facts (claims) are the last to go, the article the first. `maxChars` caps each profile first,
 * at the same boundaries. Without `tokens` (a server backend) only `maxChars` applies.
 * A RenderedProfile is cut the same way at the pieces its text shows.
 */
export function fitProfiles(characters: readonly (Character | RenderedProfile)[], render: (profiles: string[]) => ChatMessage[],
                            o: {maxChars: number, maxTokens: number, tokens?: PromptTokens}): FittedPrompt {
    const cuts = characters.map((c) => "text" in c ? renderedCuts(c.text) : profileCuts(c));
    const capped = cuts.map((c) => lastEndWithin(c, (end) => end <= o.maxChars));
    const textOf = (i: number, k: number) => cuts[i]!.text.slice(0, cuts[i]!.ends[k]).trimEnd();
    const renderAt = (ks: number[]) => render(ks.map((k, i) => textOf(i, k)));
    const full = renderAt(capped);
    if (!o.tokens) return {messages: full, trimmed: [], removedTokens: 0};
    const t = o.tokens;
    const limit = t.contextSize - o.maxTokens;
    const fullTokens = t.promptTokens(full);
    if (fullTokens <= limit) return {messages: full, trimmed: [], removedTokens: 0};

    // each profile gets an equal share of what the fixed text leaves, a short one passing its unused share on
    const fixed = t.promptTokens(render(characters.map(() => "")));
    const need = capped.map((k, i) => t.textTokens(textOf(i, k)));
    let available = limit - fixed;
    for (let attempt = 0; attempt < 8 && available > 0; attempt++) {
        const share = shares(need, available);
        const ks = capped.map((k, i) => lastEndWithin(cuts[i]!, (_, j) => j <= k && t.textTokens(textOf(i, j)) <= share[i]!));
        const messages = renderAt(ks);
        const used = t.promptTokens(messages);
        if (used <= limit)
            return {messages, trimmed: characters.filter((_, i) => ks[i]! < capped[i]!).map((c) => c.id), removedTokens: fullTokens - used};
        // the pieces tokenize a little differently joined than apart: take the difference off and try again
        available -= used - limit;
    }
    throw new DittoError(`a prompt with the profiles of ${characters.map((c) => c.label).join(" and ")} does not fit in ${t.contextSize} tokens with ${o.maxTokens} to generate, even with each profile cut to its name and description`, {
        hint: "raise runtime.context_size, or lower the stage's max_tokens (generate.sampling / generate.query_sampling)", code: "PROMPT_TOO_LONG"});
}

/** The profile as renderProfile writes it, with the ends of its whole pieces: core, aliases, each fact, each sentence. */
function profileCuts(c: Character): {text: string, ends: number[]} {
    let text = `Name: ${c.label}\nDescription: ${c.description}`;
    const ends = [text.length];
    const add = (s: string, end = true) => { text += s; if (end) ends.push(text.length); };
    if (c.aliases.length) add(`\nAlso known as: ${c.aliases.join(", ")}`);
    if (c.claims.length) {
        add("\nFacts:", false);
        for (const x of c.claims) add(`\n- ${x}`);
    }
    const prose = (head: string, body: string) => {
        add(head, false);
        for (const s of sentences(body)) add(s);
    };
    if (c.summary.trim()) prose("\nSummary: ", c.summary.trim());
    if (c.wiki?.content.trim()) prose(`\nArticle (${c.wiki.title}):\n`, c.wiki.content.trim());
    return {text, ends};
}

/** A rendered profile's ends: after its first two lines (name, description), then after each line and sentence. */
function renderedCuts(text: string): {text: string, ends: number[]} {
    const second = text.indexOf("\n", text.indexOf("\n") + 1);
    if (second < 0) return {text, ends: [text.length]};
    const ends = [second];
    let at = second;
    for (const s of sentences(text.slice(second))) ends.push(at += s.length);
    return {text, ends};
}

/** Sentences with their trailing space: an end is . ! ? before a space, 。！？ anywhere (closing quotes kept), or a line break. */
function sentences(text: string): string[] {
    const out: string[] = [];
    const end = /[.!?]["'”’)\]]*(?=\s)|[。！？][”’」』）)]*|\n/g;
    let from = 0;
    for (const m of text.matchAll(end)) {
        let to = m.index + m[0].length;
        while (to < text.length && /[ \t]/.test(text[to]!)) to++;
        if (to > from) out.push(text.slice(from, to));
        from = to;
    }
    if (from < text.length) out.push(text.slice(from));
    return out;
}

/** The index of the last end that passes `ok` (ends grow, so `ok` turns false once): binary search; 0 at least. */
function lastEndWithin(c: {ends: number[]}, ok: (end: number, index: number) => boolean): number {
    let lo = 0, hi = c.ends.length - 1;
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (ok(c.ends[mid]!, mid)) lo = mid; else hi = mid - 1;
    }
    return lo;
}

function shares(need: number[], available: number): number[] {
    const order = need.map((_, i) => i).sort((a, b) => need[a]! - need[b]!);
    const out = need.map(() => 0);
    let left = available;
    order.forEach((i, n) => {
        out[i] = Math.min(need[i]!, Math.floor(left / (order.length - n)));
        left -= out[i]!;
    });
    return out;
}
