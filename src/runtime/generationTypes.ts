/** A chat message as every stage writes it (OpenAI style). */
export type ChatMessage = {role: "system" | "user" | "assistant", content: string};

export type Sampling = {
    temperature: number,
    topP: number,
    /** 0 disables */
    topK: number,
    /** 1 disables */
    repeatPenalty: number,
    maxTokens: number,
    seed?: number
};

/** Paper's response-simulation settings (method.md stage 2b), with a shorter default length. */
export const defaultSampling: Sampling = {temperature: 0.7, topP: 0.8, topK: 0, repeatPenalty: 1.1, maxTokens: 512};

export type GenerateRequest = {
    messages: ChatMessage[],
    sampling?: Partial<Sampling>,
    /** constrain the output to this JSON schema (llama.cpp grammar): the text always parses */
    jsonSchema?: object,
    /** token ids never to generate; a benchmark bans the end-of-generation tokens to get full-length answers */
    bannedTokens?: readonly number[],
    /** texts that end the reply when generated (not included in it) */
    stop?: readonly string[],
    signal?: AbortSignal,
    /** streamed text as it is generated */
    onText?: (chunk: string) => void
};

export type GenerateResult = {
    text: string,
    /** "length": hit maxTokens (truncated) */
    finish: "stop" | "length" | "abort",
    /** generated tokens */
    tokens: number
};
