import type {Recipe} from "../recipes/recipeSchema.js";
import type {Sampling} from "../runtime/generationTypes.js";

/** A recipe's snake_case sampling block as the runtime's Sampling. */
export function toSampling(s: Recipe["generate"]["sampling"], seed?: number): Sampling {
    return {temperature: s.temperature, topP: s.top_p, topK: s.top_k, repeatPenalty: s.repeat_penalty, maxTokens: s.max_tokens, seed};
}
