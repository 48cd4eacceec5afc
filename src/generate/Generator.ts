import type {GenerateRequest, GenerateResult} from "../runtime/generationTypes.js";

/** What the stages need from a model: the GenerationPool, or anything shaped like it. */
export type Generator = {generate(request: GenerateRequest): Promise<GenerateResult>};
