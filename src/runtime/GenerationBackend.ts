import type {GenerateRequest, GenerateResult} from "./generationTypes.js";

/** One conversation slot: generates the next assistant message for the given history. */
export type ConversationSlot = {
    index: number,
    generate(request: GenerateRequest): Promise<GenerateResult>
};

/**
 * What the pipeline and the evaluation need from a generator: the in-process llama.cpp pool
 * (GenerationPool) or an OpenAI-compatible server (OpenAiCompatibleBackend) for cluster-scale
 * generation. Both run `parallel` conversations at once.
 */
export interface GenerationBackend {
    readonly parallel: number;
    generatedTokens: number;
    generate(request: GenerateRequest): Promise<GenerateResult>;
    /** hold one slot for a multi-turn conversation */
    lease<T>(fn: (slot: ConversationSlot) => Promise<T>): Promise<T>;
    dispose(): Promise<void>;
}
