import type {ChatHistoryItem, ChatWrapper, LlamaModel} from "node-llama-cpp";
import type {ChatMessage} from "../runtime/generationTypes.js";

/**
 * Tokens the model reads before it answers `messages`: the conversation rendered by the same chat
 * wrapper generation uses, with the open assistant turn. Lets the server refuse a prompt that
 * does not fit the context before it takes a sequence.
 */
export function promptTokenCount(model: LlamaModel, chatWrapper: ChatWrapper, messages: readonly ChatMessage[]): number {
    const history: ChatHistoryItem[] = messages.map((m) => m.role === "system" ? {type: "system", text: m.content}
        : m.role === "user" ? {type: "user", text: m.content} : {type: "model", response: [m.content]});
    history.push({type: "model", response: []});
    return chatWrapper.generateContextState({chatHistory: history}).contextText.tokenize(model.tokenizer).length;
}
