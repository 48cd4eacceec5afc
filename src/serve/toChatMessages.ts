import type {ChatMessage} from "../runtime/generationTypes.js";
import {ApiError} from "./ApiError.js";
import type {ChatRequest} from "./chatRequestSchema.js";

/**
 * The request's messages as the runtime takes them: `developer` is a system message, text parts
 * are joined, and `system` (the character's trained line) goes first when the request has no
 * system message of its own.
 */
export function toChatMessages(messages: ChatRequest["messages"], system?: string): ChatMessage[] {
    const out: ChatMessage[] = messages.map((m) => ({
        role: m.role === "developer" ? "system" : m.role,
        content: m.content === null ? "" : typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join("")
    }));
    if (out[out.length - 1]!.role === "assistant")
        throw new ApiError(400, "the last message is the assistant's: end with a user message for the model to answer", {param: `messages[${out.length - 1}].role`});
    if (system !== undefined && !out.some((m) => m.role === "system")) out.unshift({role: "system", content: system});
    return out;
}
