import {LlamaText, SpecialToken, SpecialTokensText, resolveChatWrapper} from "node-llama-cpp";
import type {ChatHistoryItem, ChatWrapper, Llama, LlamaModel, Token} from "node-llama-cpp";
import {DittoError} from "../errors/DittoError.js";
import {openLlama} from "../runtime/openLlama.js";
import {loadModel} from "../runtime/loadModel.js";
import type {TrainingExample} from "../dataset/trainingExampleSchema.js";

type ChatMessage = TrainingExample["messages"][number];

/** A conversation as token ids, with which tokens the model is trained to produce. */
export type EncodedConversation = {
    tokens: Int32Array,
    /** 1 where the token is assistant content or the end-of-turn token after it (loss is taken on predicting it), else 0 */
    mask: Uint8Array,
    /** assistant turns whose first or last token straddled a template boundary (tokenized together with template text) */
    boundaryMerges: number
};

// Private-use code points: never produced by the template, so they mark assistant content exactly.
const OPEN = "\uE000", CLOSE = "\uE001";

/**
 * Turns conversations into training tokens with the model's own tokenizer and the chat wrapper
 * node-llama-cpp resolves for generation (`resolveChatWrapper(model)`, which reads the GGUF's
 * `tokenizer.chat_template`), so training sees exactly the text layout inference will produce.
 *
 * The mask is found by rendering the conversation with invisible markers around each assistant
 * reply, then tokenizing the marker-free text the same way `LlamaText.tokenize` does (template
 * parts as special-token text, runs of plain text together), splitting each run at the markers.
 * After each reply the wrapper's stop token (`<|im_end|>` for ChatML/Qwen) is also a target, so
 * the model learns to end its turn; the final reply, which the wrapper leaves open as a
 * generation prompt, gets that token appended.
 */
export class ChatTokenizer {
    public readonly endOfTurn: Token;

    private constructor(
        public readonly model: LlamaModel,
        public readonly chatWrapper: ChatWrapper,
        private readonly ownsModel: boolean
    ) {
        this.endOfTurn = findEndOfTurnToken(model, chatWrapper);
    }

    /** Loads only the vocabulary of `modelPath` (fast, no weights) and resolves its chat wrapper. */
    public static async load(modelPath: string, options: {llama?: Llama} = {}): Promise<ChatTokenizer> {
        const llama = options.llama ?? await openLlama("cpu");
        const model = await loadModel(llama, modelPath, {vocabOnly: true});
        return new ChatTokenizer(model, resolveChatWrapper(model), true);
    }

    /** Uses an already loaded model (e.g. the one generation uses). */
    public static fromModel(model: LlamaModel, chatWrapper: ChatWrapper = resolveChatWrapper(model)): ChatTokenizer {
        return new ChatTokenizer(model, chatWrapper, false);
    }

    public get wrapperName(): string {
        return this.chatWrapper.wrapperName;
    }

    public encode(messages: readonly ChatMessage[]): EncodedConversation {
        for (const m of messages) {
            if (m.content.includes(OPEN) || m.content.includes(CLOSE))
                throw new DittoError("a message contains the private-use characters U+E000/U+E001, which ditto reserves to find assistant replies",
                    {hint: "remove those characters from dataset.jsonl", code: "TRAIN_RESERVED_CHAR"});
        }
        const history = toChatHistory(messages, true);
        const marked = this.chatWrapper.generateContextState({chatHistory: history}).contextText;
        const plain = this.chatWrapper.generateContextState({chatHistory: toChatHistory(messages, false)}).contextText;
        if (!sameText(stripMarkers(marked), plain))
            throw new DittoError(`the chat template (${this.wrapperName}) changes the assistant replies when rendering them, so ditto cannot find which tokens are the replies`,
                {hint: "report this with the model's chat template; as a workaround convert the model with a ChatML template", code: "TRAIN_TEMPLATE_MASK"});

        // Our walk must give exactly the tokens generation would evaluate. The fast walk tokenizes
        // each reply on its own; if BPE would have merged across a reply's edge, walk again
        // tokenizing whole runs (what inference sees) and place the edges by common prefix.
        const reference = plain.tokenize(this.model.tokenizer);
        let walk = this.walk(marked, false);
        if (!sameTokens(walk.tokens, reference)) walk = this.walk(marked, true);
        if (!sameTokens(walk.tokens, reference))
            throw new Error(`ChatTokenizer: marker tokenization diverged from LlamaText.tokenize (${walk.tokens.length} vs ${reference.length} tokens, template ${this.wrapperName})`);
        const {tokens, mask, boundaryMerges} = walk;
        const last = messages[messages.length - 1];
        if (last?.role === "assistant") { tokens.push(this.endOfTurn); mask.push(1); }
        return {tokens: Int32Array.from(tokens), mask: Uint8Array.from(mask), boundaryMerges};
    }

    /**
     * Mirrors LlamaText.tokenize (what LlamaChat feeds the model): runs of plain text between
     * special parts are tokenized together, always with "trimLeadingSpace" (the run itself counts
     * as content); special text trims its leading space once anything precedes it.
     */
    private walk(marked: LlamaText, exact: boolean): {tokens: Token[], mask: number[], boundaryMerges: number} {
        const tokens: Token[] = [];
        const mask: number[] = [];
        let boundaryMerges = 0;
        const tokenizer = this.model.tokenizer;
        let run = "";
        const flush = () => {
            if (run === "") return false;
            const res = tokenizeRun(run, (text) => tokenizer(text, false, "trimLeadingSpace"), exact);
            boundaryMerges += res.boundaryMerges;
            for (let i = 0; i < res.tokens.length; i++) { tokens.push(res.tokens[i]!); mask.push(res.mask[i]!); }
            run = "";
            return true;
        };
        let afterReply = false;
        for (const value of marked.values) {
            if (value instanceof SpecialToken || value instanceof SpecialTokensText) {
                const hadRun = flush();
                const start = tokens.length;
                const special = value instanceof SpecialToken ? value.tokenize(tokenizer) : value.tokenize(tokenizer, hadRun || tokens.length > 0);
                for (const t of special) { tokens.push(t); mask.push(0); }
                // The stop token that closes a reply is what ends generation: learn to produce it.
                if (afterReply && tokens[start] === this.endOfTurn) mask[start] = 1;
                afterReply = false;
            } else {
                run += value;
                afterReply = value.endsWith(CLOSE);
            }
        }
        flush();
        return {tokens, mask, boundaryMerges};
    }

    public detokenize(tokens: ArrayLike<number>): string {
        return this.model.detokenize(Array.from(tokens) as Token[], true);
    }

    public async dispose(): Promise<void> {
        if (this.ownsModel) await this.model.dispose();
    }
}

function toChatHistory(messages: readonly ChatMessage[], markReplies: boolean): ChatHistoryItem[] {
    return messages.map((m): ChatHistoryItem => {
        switch (m.role) {
            case "system": return {type: "system", text: m.content};
            case "user": return {type: "user", text: m.content};
            case "assistant": return {type: "model", response: [markReplies ? OPEN + m.content + CLOSE : m.content]};
            default: {
                const never: never = m.role;
                throw new Error(`unknown role ${String(never)}`);
            }
        }
    });
}

function stripMarkers(text: LlamaText): LlamaText {
    return LlamaText(text.values.map((v) => typeof v === "string" ? v.replaceAll(OPEN, "").replaceAll(CLOSE, "") : v));
}

function sameText(a: LlamaText, b: LlamaText): boolean {
    return JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON());
}

/**
 * Tokenizes one run of plain text that may contain marked replies. Splitting at the markers
 * gives exact reply boundaries; when the pieces tokenize differently from the whole run (BPE
 * merged across a boundary), the whole run's tokens are kept, since that is what inference sees,
 * and each boundary is placed by the longest common token prefix.
 */
function tokenizeRun(marked: string, tokenize: (text: string) => Token[], exact: boolean): {tokens: Token[], mask: number[], boundaryMerges: number} {
    const text = marked.replaceAll(OPEN, "").replaceAll(CLOSE, "");
    if (!marked.includes(OPEN)) {
        const tokens = tokenize(text);
        return {tokens, mask: tokens.map(() => 0), boundaryMerges: 0};
    }

    const pieces: {text: string, reply: boolean}[] = [];
    const boundaries: {at: number, reply: boolean}[] = []; // char offsets in `text` where reply state changes
    let inReply = false, current = "", offset = 0;
    for (const ch of marked) {
        if (ch === OPEN || ch === CLOSE) {
            if (current) pieces.push({text: current, reply: inReply});
            inReply = ch === OPEN;
            boundaries.push({at: offset, reply: inReply});
            current = "";
        } else {
            current += ch;
            offset += ch.length;
        }
    }
    if (current) pieces.push({text: current, reply: inReply});

    const split: Token[] = [], splitMask: number[] = [];
    pieces.forEach((p) => {
        for (const t of tokenize(p.text)) { split.push(t); splitMask.push(p.reply ? 1 : 0); }
    });
    if (!exact) return {tokens: split, mask: splitMask, boundaryMerges: 0};
    const whole = tokenize(text);
    if (sameTokens(split, whole)) return {tokens: whole, mask: splitMask, boundaryMerges: 0};

    const mask = whole.map(() => 0);
    let merges = 0;
    for (let b = 0; b < boundaries.length; b += 2) {
        const startTokens = tokenize(text.slice(0, boundaries[b]!.at));
        const endTokens = tokenize(text.slice(0, boundaries[b + 1]?.at ?? text.length));
        const start = commonPrefix(whole, startTokens), end = commonPrefix(whole, endTokens);
        if (start !== startTokens.length || end !== endTokens.length) merges++;
        for (let i = start; i < end; i++) mask[i] = 1;
    }
    return {tokens: whole, mask, boundaryMerges: merges};
}

function sameTokens(a: readonly Token[], b: readonly Token[]): boolean {
    return a.length === b.length && a.every((t, i) => t === b[i]);
}

function commonPrefix(a: readonly Token[], b: readonly Token[]): number {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
}

/** The token that ends an assistant turn: the wrapper's first single-token stop text (<|im_end|>), else EOS. */
function findEndOfTurnToken(model: LlamaModel, chatWrapper: ChatWrapper): Token {
    const state = chatWrapper.generateContextState({chatHistory: [{type: "user", text: "hi"}, {type: "model", response: [""]}]});
    for (const trigger of state.stopGenerationTriggers) {
        const text = LlamaText(trigger);
        if (text.values.length === 1 && text.values[0] instanceof SpecialTokensText) {
            const ids = text.tokenize(model.tokenizer);
            if (ids.length === 1) return ids[0]!;
        }
    }
    const eos = model.tokens.eos;
    if (eos == null)
        throw new DittoError(`${model.filename ?? "the model"} has no end-of-sequence token and its chat template (${chatWrapper.wrapperName}) no single stop token`,
            {hint: "use a chat model whose GGUF sets tokenizer.ggml.eos_token_id", code: "TRAIN_NO_EOT"});
    return eos;
}
