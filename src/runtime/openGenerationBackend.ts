import type {Recipe} from "../recipes/recipeSchema.js";
import {resolveModelRef} from "../models/resolveModelRef.js";
import type {GenerationBackend} from "./GenerationBackend.js";
import {GenerationPool} from "./GenerationPool.js";
import {loadModel} from "./loadModel.js";
import {OpenAiCompatibleBackend} from "./OpenAiCompatibleBackend.js";
import {openLlama} from "./openLlama.js";

export type OpenBackendOptions = {
    /** which recipe model generates: the generator (data), the student (answers), the judge */
    role: "generator" | "student" | "judge",
    /** folder recipe paths are relative to */
    recipeDir?: string,
    adapters?: {path: string, scale?: number}[],
    /** override runtime.parallel */
    parallel?: number
};

/** The generator a recipe asks for: the in-process llama.cpp pool, or an OpenAI-compatible server. */
export async function openGenerationBackend(recipe: Recipe, options: OpenBackendOptions): Promise<GenerationBackend> {
    const ref = options.role === "generator" ? recipe.models.generator
        : options.role === "student" ? recipe.models.student ?? recipe.models.generator
            : recipe.models.judge ?? recipe.models.student ?? recipe.models.generator;
    const rt = recipe.runtime;
    if (rt.backend === "openai-compatible" && options.role !== "student") {
        return new OpenAiCompatibleBackend({baseUrl: rt.base_url!, model: rt.remote_model ?? ref,
            parallel: options.parallel ?? rt.parallel, apiKey: process.env[rt.api_key_env]});
    }
    const llama = await openLlama(rt.gpu);
    const model = await loadModel(llama, resolveModelRef(ref, {baseDir: options.recipeDir}));
    return GenerationPool.create(llama, model, {parallel: options.parallel ?? rt.parallel, contextSize: rt.context_size,
        threads: rt.threads, adapters: options.adapters});
}
