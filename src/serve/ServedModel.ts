import type {ChatWrapper} from "node-llama-cpp";
import type {GenerationPool} from "../runtime/GenerationPool.js";

/** One name in GET /v1/models: the base model, or the base model with one adapter, on its own pool of sequences. */
export type ServedModel = {
    /** what clients send as `model` */
    id: string,
    pool: GenerationPool,
    /** the wrapper the pool renders conversations with, for counting prompt tokens */
    chatWrapper: ChatWrapper,
    adapter?: string,
    /** unix seconds, for the models list */
    created: number
};
