import {LlamaChat, resolveChatWrapper, TokenBias, type ChatHistoryItem, type ChatWrapper, type Token, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaGrammar, type LlamaModel} from "node-llama-cpp";
import {DittoError} from "../errors/DittoError.js";
import type {GenerationBackend} from "./GenerationBackend.js";
import {checkAdapter} from "../adapter/checkAdapter.js";
import {modelPathOf} from "./modelPathOf.js";
import {defaultSampling, type ChatMessage, type GenerateRequest, type GenerateResult} from "./generationTypes.js";
import {resolveThreads} from "./physicalCores.js";
import {holdDecodesWhileLocked} from "./holdDecodesWhileLocked.js";
import {lockstepDispatch} from "./lockstepDispatch.js";
import {sequenceOrderedStrategy} from "./sequenceOrderedStrategy.js";

export type GenerationPoolOptions = {
    /** concurrent conversations, one context sequence each (default 8) */
    parallel?: number,
    /** tokens per sequence (default 4096) */
    contextSize?: number,
    threads?: number,
    adapters?: {path: string, scale?: number}[],
    /** "sequence" (default) orders each batch by sequence id; "library" keeps node-llama-cpp's default */
    batchOrder?: "sequence" | "library",
    /** "lockstep" (default with parallel > 1) decodes when every generating sequence has queued its tokens; "library" at the next event-loop turn */
    dispatch?: "lockstep" | "library",
    /** let reasoning models (Qwen3) think before answering; off by default */
    thinking?: boolean
};

/** One context sequence with its chat driver, lent to one conversation at a time. */
export type PooledSequence = {
    index: number,
    /** generate the next assistant message for `messages` (history reuse of the KV cache is automatic) */
    generate(request: GenerateRequest): Promise<GenerateResult>
};

/**
 * N conversations in flight on one llama.cpp context: a request waits for a free sequence, runs,
 * and frees it; the library batches all sequences' tokens into one decode per step.
 */
export class GenerationPool implements GenerationBackend {
    public readonly parallel: number;
    public generatedTokens = 0;
    /** sequences inside a generate call (the lockstep dispatch waits for their tokens) */
    private generating = 0;
    private readonly free: PooledSequence[] = [];
    private readonly waiting: ((s: PooledSequence) => void)[] = [];
    private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
    private readonly contextSequences = new Map<PooledSequence, LlamaContextSequence>();

    private constructor(private readonly llama: Llama, public readonly model: LlamaModel,
                        public readonly context: LlamaContext, sequences: PooledSequence[], private readonly chatWrapper: ChatWrapper) {
        this.parallel = sequences.length;
        this.free.push(...sequences);
    }

    public static async create(llama: Llama, model: LlamaModel, options: GenerationPoolOptions = {}): Promise<GenerationPool> {
        const parallel = Math.max(1, options.parallel ?? 8);
        // one sequence has nothing to wait for or to be held behind: the library's own schedule
        const lockstep = options.dispatch !== "library" && parallel > 1;
        // llama.cpp only says "Failed to initialize LoRA adapter": check each adapter against the model first
        const modelPath = modelPathOf(model);
        for (const a of options.adapters ?? []) if (modelPath) checkAdapter(a.path, modelPath);
        let context: LlamaContext | undefined;
        try {
            context = await model.createContext({
                sequences: parallel,
                contextSize: options.contextSize ?? 4096,
                threads: resolveThreads(options.threads),
                batchSize: Math.min(2048, Math.max(512, parallel * 64)),
                lora: options.adapters && options.adapters.length > 0
                    ? {adapters: options.adapters.map((a) => ({filePath: a.path, scale: a.scale ?? 1}))}
                    : undefined,
                batching: {
                    ...(options.batchOrder === "library" ? {} : {itemPrioritizationStrategy: sequenceOrderedStrategy(() => context)}),
                    ...(!lockstep ? {} : {dispatchSchedule: lockstepDispatch(() => context, () => pool?.generating ?? 0)})
                }
            });
        } catch (err) {
            const msg = err instanceof Error ? err.message : String(err);
            throw new DittoError(`could not create a context of ${parallel} x ${options.contextSize ?? 4096} tokens: ${msg}`, {
                hint: /lora|adapter/i.test(msg) ? "check the adapter with `ditto adapter check --model M --adapter A`"
                    : "lower parallel or context size (memory), or check the model with `ditto models inspect`",
                code: "CONTEXT_CREATE", cause: err
            });
        }
        const ctx = context;
        if (lockstep) holdDecodesWhileLocked(ctx);
        const thinking = options.thinking ?? false;
        const sequences: PooledSequence[] = [];
        let pool: GenerationPool | undefined;
        // resolved once: "auto" in each LlamaChat would parse the template again per sequence (seconds each).
        // The same resolution the trainer's ChatTokenizer uses, so training and generation share one template.
        const chatWrapper = resolveChatWrapper(model);
        const contextSequences: LlamaContextSequence[] = [];
        for (let i = 0; i < parallel; i++) {
            const contextSequence = ctx.getSequence();
            const chat = new LlamaChat({contextSequence, chatWrapper});
            contextSequences.push(contextSequence);
            sequences.push({
                index: i,
                generate: async (req) => {
                    const s = {...defaultSampling, ...req.sampling};
                    const grammar = req.jsonSchema ? await pool!.grammarFor(req.jsonSchema) : undefined;
                    let tokens = 0;
                    pool!.generating++;
                    const res = await chat.generateResponse(toHistory(req.messages), {
                        maxTokens: s.maxTokens,
                        temperature: s.temperature,
                        topP: s.topP,
                        topK: s.topK > 0 ? s.topK : undefined,
                        seed: s.seed,
                        repeatPenalty: s.repeatPenalty !== 1 ? {penalty: s.repeatPenalty} : false,
                        grammar,
                        customStopTriggers: req.stop && req.stop.length > 0 ? req.stop : undefined,
                        signal: req.signal,
                        stopOnAbortSignal: true,
                        onTextChunk: req.onText,
                        // counted as they come, so progress shows work in flight, not only finished records
                        onToken: (t) => { tokens += t.length; pool!.generatedTokens += t.length; },
                        budgets: thinking ? undefined : {thoughtTokens: 0},
                        tokenBias: req.bannedTokens && req.bannedTokens.length > 0 ? banned(model, req.bannedTokens) : undefined
                    }).finally(() => pool!.generating--);
                    const reason = res.metadata.stopReason;
                    return {text: res.response, tokens, finish: reason === "maxTokens" ? "length" : reason === "abort" ? "abort" : "stop"};
                }
            });
        }
        pool = new GenerationPool(llama, model, ctx, sequences, chatWrapper);
        sequences.forEach((seq, i) => pool!.contextSequences.set(seq, contextSequences[i]!));
        return pool;
    }

    /** Run one request on the next free sequence. */
    public async generate(request: GenerateRequest): Promise<GenerateResult> {
        return this.lease((s) => s.generate(request));
    }

    /** Hold one sequence for a multi-turn conversation; it is freed when `fn` settles. */
    public async lease<T>(fn: (sequence: PooledSequence) => Promise<T>): Promise<T> {
        const seq = this.free.pop() ?? await new Promise<PooledSequence>((accept) => this.waiting.push(accept));
        try {
            // Each conversation starts from an empty KV cache. Reusing the previous conversation's cached
            // prefix would change how the prompt is split into batches, and so (by float rounding) the
            // sampled tokens: a record's text would depend on which record ran before it on this sequence,
            // and a resumed run would not reproduce an uninterrupted one. Within a lease the history is reused.
            await this.contextSequences.get(seq)?.clearHistory();
            return await fn(seq);
        } finally {
            const next = this.waiting.shift();
            if (next) next(seq);
            else this.free.push(seq);
        }
    }

    /** Tokens one conversation may hold, prompt and answer together. */
    public get contextSize(): number {
        return this.contextSequences.values().next().value!.contextSize;
    }

    /** Tokens the model reads for `messages` before it answers: the chat template applied, as generate() does. */
    public promptTokens(messages: ChatMessage[]): number {
        return this.chatWrapper.generateContextState({chatHistory: toHistory(messages)}).contextText.tokenize(this.model.tokenizer).length;
    }

    public textTokens(text: string): number {
        return this.model.tokenize(text).length;
    }

    private grammarFor(schema: object): Promise<LlamaGrammar> {
        const key = JSON.stringify(schema);
        let g = this.grammars.get(key);
        if (!g) {
            g = this.llama.createGrammarForJsonSchema(schema as Parameters<Llama["createGrammarForJsonSchema"]>[0]) as Promise<LlamaGrammar>;
            this.grammars.set(key, g);
        }
        return g;
    }

    public async dispose(): Promise<void> {
        await this.context.dispose();
    }
}

function banned(model: LlamaModel, tokens: readonly number[]): TokenBias {
    const bias = new TokenBias(model.tokenizer);
    bias.set(tokens as Token[], "never");
    return bias;
}

function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
    const history: ChatHistoryItem[] = [];
    for (const m of messages) {
        switch (m.role) {
            case "system": history.push({type: "system", text: m.content}); break;
            case "user": history.push({type: "user", text: m.content}); break;
            case "assistant": history.push({type: "model", response: [m.content]}); break;
            default: {
                const never: never = m.role;
                throw new Error(`unknown role ${String(never)}`);
            }
        }
    }
    // generateResponse answers the last user turn: it expects an (empty) model turn to fill
    history.push({type: "model", response: []});
    return history;
}
