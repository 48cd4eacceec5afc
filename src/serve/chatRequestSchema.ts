import {z} from "zod";

const textPart = z.looseObject({type: z.literal("text"), text: z.string()});

const message = z.looseObject({
    role: z.enum(["system", "developer", "user", "assistant"], {
        error: "role must be system, developer, user or assistant (tool messages are not supported)"}),
    content: z.union([z.string(), z.array(textPart, {error: "only text content parts ({\"type\": \"text\", \"text\": ...}) are supported"}), z.null()])
});

const responseFormat = z.discriminatedUnion("type", [
    z.looseObject({type: z.literal("text")}),
    z.looseObject({type: z.literal("json_object")}),
    z.looseObject({type: z.literal("json_schema"), json_schema: z.looseObject({
        name: z.string().optional(),
        schema: z.record(z.string(), z.unknown()),
        strict: z.boolean().nullish()
    })})
], {error: "response_format.type must be text, json_object or json_schema"});

/**
 * The body of POST /v1/chat/completions: the OpenAI fields ditto honours, checked; fields it does
 * not use (user, presence_penalty, ...) are accepted and ignored, as front-ends send them freely.
 */
export const chatRequestSchema = z.looseObject({
    model: z.string().min(1, "model is required"),
    messages: z.array(message).min(1, "messages must hold at least one message"),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({include_usage: z.boolean().nullish()}).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    max_tokens: z.number().int().min(1).nullish(),
    max_completion_tokens: z.number().int().min(1).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
    seed: z.number().int().nullish(),
    n: z.literal(1, {error: "only n=1 is supported"}).nullish(),
    logit_bias: z.record(z.string().regex(/^\d+$/, "logit_bias keys are token ids"), z.number().min(-100).max(100)).nullish(),
    response_format: responseFormat.nullish(),
    tools: z.array(z.unknown()).max(0, "tools are not supported").nullish(),
    functions: z.array(z.unknown()).max(0, "functions are not supported").nullish()
});
export type ChatRequest = z.output<typeof chatRequestSchema>;
