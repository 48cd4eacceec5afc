import {randomUUID} from "node:crypto";
import type {ServerResponse} from "node:http";
import type {GenerateRequest, GenerateResult, Sampling} from "../runtime/generationTypes.js";
import {ApiError} from "./ApiError.js";
import {chatRequestSchema, type ChatRequest} from "./chatRequestSchema.js";
import {promptTokenCount} from "./promptTokenCount.js";
import type {ServedModel} from "./ServedModel.js";
import {toChatMessages} from "./toChatMessages.js";

export type CompletionContext = {
    models: ReadonlyMap<string, ServedModel>,
    /** the trained one-line system prompt, added when a request has no system message */
    system?: string,
    /** sampling for fields a request leaves out */
    defaults: Pick<Sampling, "temperature" | "topP" | "repeatPenalty">,
    /** aborted when the client goes away or the server stops at once */
    signal: AbortSignal
};

export type CompletionOutcome = {model: string, promptTokens: number, completionTokens: number, finish: GenerateResult["finish"]};

/**
 * POST /v1/chat/completions: checks the request, runs it on the model's pool (where it is
 * batched with the other requests in flight) and answers as one JSON completion or as a stream of
 * Server-Sent Events. A disconnected client aborts its generation, which frees its sequence.
 */
export async function chatCompletion(body: unknown, res: ServerResponse, ctx: CompletionContext): Promise<CompletionOutcome> {
    const parsed = chatRequestSchema.safeParse(body);
    if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const param = issue.path.map((p, i) => typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`).join("") || null;
        throw new ApiError(400, param ? `${param}: ${issue.message}` : issue.message, {param});
    }
    const r: ChatRequest = parsed.data;
    const served = ctx.models.get(r.model);
    if (!served)
        throw new ApiError(404, `The model \`${r.model}\` does not exist (served: ${[...ctx.models.keys()].join(", ")})`, {param: "model", code: "model_not_found"});
    const messages = toChatMessages(r.messages, ctx.system);
    const contextSize = served.pool.context.contextSize;
    const promptTokens = promptTokenCount(served.pool.model, served.chatWrapper, messages);
    const asked = r.max_completion_tokens ?? r.max_tokens ?? undefined;
    if (promptTokens >= contextSize || (asked !== undefined && promptTokens + asked > contextSize))
        throw new ApiError(400, `This model's maximum context length is ${contextSize} tokens. However, you requested ${promptTokens + (asked ?? 0)} tokens ` +
            `(${promptTokens} in the messages, ${asked ?? 0} in the completion). Please reduce the length of the messages or completion.`,
        {param: "messages", code: "context_length_exceeded"});

    const request: GenerateRequest = {
        messages,
        sampling: {
            temperature: r.temperature ?? ctx.defaults.temperature,
            topP: r.top_p ?? ctx.defaults.topP,
            repeatPenalty: ctx.defaults.repeatPenalty,
            topK: 0,
            maxTokens: asked ?? contextSize - promptTokens,
            ...(r.seed !== undefined && r.seed !== null ? {seed: r.seed} : {})
        },
        stop: r.stop === undefined || r.stop === null ? undefined : typeof r.stop === "string" ? [r.stop] : r.stop.filter((s) => s !== ""),
        bannedTokens: bannedTokens(r, served),
        jsonSchema: r.response_format?.type === "json_schema" ? r.response_format.json_schema.schema
            : r.response_format?.type === "json_object" ? {type: "object"} : undefined,
        signal: ctx.signal
    };

    const id = `chatcmpl-${randomUUID().replace(/-/g, "")}`;
    const created = Math.floor(Date.now() / 1000);
    const finishReason = (f: GenerateResult["finish"]) => f === "length" ? "length" : "stop";
    const usage = (completion: number) => ({prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion});
    // waiting for a sequence can take long; a client that left meanwhile must not get one
    const aborted: GenerateResult = {text: "", finish: "abort", tokens: 0};
    const run = () => served.pool.lease((seq) => ctx.signal.aborted ? Promise.resolve(aborted) : seq.generate(request))
        .catch((err: unknown) => { if (ctx.signal.aborted) return aborted; throw err; });

    if (r.stream) {
        res.writeHead(200, {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive"});
        const send = (data: unknown) => { if (!res.writableEnded) res.write(`data: ${JSON.stringify(data)}\n\n`); };
        const chunk = (delta: object, finish: string | null) => ({id, object: "chat.completion.chunk", created, model: r.model,
            choices: [{index: 0, delta, logprobs: null, finish_reason: finish}]});
        send(chunk({role: "assistant", content: ""}, null));
        request.onText = (text) => { if (text) send(chunk({content: text}, null)); };
        let result: GenerateResult;
        try {
            result = await run();
        } catch (err) {
            // the status line is sent: report the failure in the stream, as OpenAI does
            send({error: new ApiError(500, `generation failed: ${err instanceof Error ? err.message : String(err)}`).body.error});
            res.end();
            throw err;
        }
        if (result.finish !== "abort") {
            send(chunk({}, finishReason(result.finish)));
            if (r.stream_options?.include_usage) send({id, object: "chat.completion.chunk", created, model: r.model, choices: [], usage: usage(result.tokens)});
            res.write("data: [DONE]\n\n");
        }
        res.end();
        return {model: r.model, promptTokens, completionTokens: result.tokens, finish: result.finish};
    }

    const result = await run();
    if (result.finish !== "abort") {
        const json = JSON.stringify({id, object: "chat.completion", created, model: r.model,
            choices: [{index: 0, message: {role: "assistant", content: result.text}, logprobs: null, finish_reason: finishReason(result.finish)}],
            usage: usage(result.tokens)});
        res.writeHead(200, {"content-type": "application/json"}).end(json);
    }
    return {model: r.model, promptTokens, completionTokens: result.tokens, finish: result.finish};
}

/** logit_bias: -100 bans a token (the only bias llama.cpp's sampler is given here); other values are refused, not ignored. */
function bannedTokens(r: ChatRequest, served: ServedModel): number[] | undefined {
    if (!r.logit_bias) return undefined;
    const vocabulary = served.pool.model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    const out: number[] = [];
    for (const [key, bias] of Object.entries(r.logit_bias)) {
        const token = Number(key);
        if (token >= vocabulary) throw new ApiError(400, `logit_bias: token ${token} is not in the vocabulary (${vocabulary} tokens)`, {param: "logit_bias"});
        if (bias === 0) continue;
        if (bias !== -100) throw new ApiError(400, `logit_bias: only -100 (never generate the token) is supported, got ${bias} for token ${token}`, {param: "logit_bias"});
        out.push(token);
    }
    return out.length > 0 ? out : undefined;
}
