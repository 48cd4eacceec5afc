import {DittoError} from "../errors/DittoError.js";
import {offlineSetting} from "../models/offlineSetting.js";
import type {ConversationSlot, GenerationBackend} from "./GenerationBackend.js";
import {defaultSampling, type GenerateRequest, type GenerateResult} from "./generationTypes.js";

export type OpenAiCompatibleOptions = {
    /** e.g. http://gpu-box:8080/v1 (llama.cpp server) or http://vllm:8000/v1 */
    baseUrl: string,
    /** model name the server expects */
    model: string,
    /** requests in flight at once (default 32) */
    parallel?: number,
    apiKey?: string,
    /** per request, default 600 s */
    timeoutMs?: number
};

/**
 * Generation through an OpenAI-compatible chat-completions server the user runs (llama.cpp server,
 * vLLM): the alternative to the in-process model when a cluster does the generation. This is the
 * only network use besides `ditto models pull`, and only when a recipe asks for it.
 */
export class OpenAiCompatibleBackend implements GenerationBackend {
    public readonly parallel: number;
    public generatedTokens = 0;
    private active = 0;
    private readonly waiting: (() => void)[] = [];
    private readonly url: string;

    public constructor(private readonly options: OpenAiCompatibleOptions) {
        this.parallel = Math.max(1, options.parallel ?? 32);
        this.url = options.baseUrl.replace(/\/+$/, "") + "/chat/completions";
        if (offlineSetting() !== null)
            throw new DittoError(`the recipe asks for the server ${options.baseUrl}, but --offline / DITTO_OFFLINE forbids network use`, {
                hint: "use the in-process backend (runtime.backend: in-process), or unset DITTO_OFFLINE", code: "OFFLINE"});
    }

    public async lease<T>(fn: (slot: ConversationSlot) => Promise<T>): Promise<T> {
        if (this.active >= this.parallel) await new Promise<void>((accept) => this.waiting.push(accept));
        this.active++;
        try {
            return await fn({index: this.active - 1, generate: (req) => this.request(req)});
        } finally {
            this.active--;
            this.waiting.shift()?.();
        }
    }

    public generate(request: GenerateRequest): Promise<GenerateResult> {
        return this.lease((slot) => slot.generate(request));
    }

    private async request(req: GenerateRequest): Promise<GenerateResult> {
        const s = {...defaultSampling, ...req.sampling};
        const body: Record<string, unknown> = {
            model: this.options.model,
            messages: req.messages,
            temperature: s.temperature,
            top_p: s.topP,
            max_tokens: s.maxTokens,
            ...(s.seed !== undefined ? {seed: s.seed} : {}),
            ...(req.stop && req.stop.length > 0 ? {stop: req.stop} : {}),
            ...(s.topK > 0 ? {top_k: s.topK} : {}),
            // llama.cpp server reads repeat_penalty, vLLM repetition_penalty; each ignores the other
            ...(s.repeatPenalty !== 1 ? {repeat_penalty: s.repeatPenalty, repetition_penalty: s.repeatPenalty} : {}),
            ...(req.jsonSchema ? {response_format: {type: "json_schema", json_schema: {name: "output", strict: true, schema: req.jsonSchema}}} : {})
        };
        const signal = req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(this.options.timeoutMs ?? 600_000)])
            : AbortSignal.timeout(this.options.timeoutMs ?? 600_000);
        let res: Response;
        try {
            res = await fetch(this.url, {
                method: "POST",
                headers: {"content-type": "application/json", ...(this.options.apiKey ? {authorization: `Bearer ${this.options.apiKey}`} : {})},
                body: JSON.stringify(body),
                signal
            });
        } catch (err) {
            if (req.signal?.aborted) return {text: "", finish: "abort", tokens: 0};
            throw new DittoError(`could not reach the generation server ${this.url}: ${(err as Error).message}`, {
                hint: "check runtime.base_url in the recipe and that the server is running", code: "SERVER_UNREACHABLE", cause: err});
        }
        if (!res.ok) {
            const text = await res.text().catch(() => "");
            throw new DittoError(`generation server ${this.url} answered ${res.status}: ${text.slice(0, 300)}`, {
                hint: res.status === 401 ? "set the API key variable named by runtime.api_key_env" :
                    res.status === 404 ? "check runtime.base_url (it usually ends in /v1) and runtime.remote_model" : "see the server's log",
                code: "SERVER_ERROR"});
        }
        const data = await res.json() as {choices?: {message?: {content?: string}, finish_reason?: string}[], usage?: {completion_tokens?: number}};
        const choice = data.choices?.[0];
        if (!choice || typeof choice.message?.content !== "string")
            throw new DittoError(`generation server ${this.url} sent no choices[0].message.content`, {hint: "is it an OpenAI-compatible chat-completions endpoint?", code: "SERVER_ERROR"});
        const tokens = data.usage?.completion_tokens ?? 0;
        this.generatedTokens += tokens;
        req.onText?.(choice.message.content);
        return {text: choice.message.content, tokens, finish: choice.finish_reason === "length" ? "length" : "stop"};
    }

    public async dispose(): Promise<void> { /* nothing held */ }
}
