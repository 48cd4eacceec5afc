import type {Recipe} from "../recipes/recipeSchema.js";
import {GenerationPool} from "../runtime/GenerationPool.js";
import {loadModel} from "../runtime/loadModel.js";
import {openLlama, type GpuChoice} from "../runtime/openLlama.js";

/**
 * The generator model, loaded on first use only: a resumed run whose model stages are complete
 * (or a file-sourced run stopped before queries) never pays for loading it.
 */
export class ModelSession {
    private poolPromise?: Promise<GenerationPool>;
    private created?: GenerationPool;

    public constructor(private readonly modelPath: string, private readonly recipe: Recipe, private readonly gpu?: GpuChoice, private readonly threads?: number) {}

    public pool(): Promise<GenerationPool> {
        this.poolPromise ??= (async () => {
            const llama = await openLlama(this.gpu ?? this.recipe.runtime.gpu);
            const model = await loadModel(llama, this.modelPath);
            this.created = await GenerationPool.create(llama, model, {
                parallel: this.recipe.runtime.parallel, contextSize: this.recipe.runtime.context_size, threads: this.threads ?? this.recipe.runtime.threads
            });
            return this.created;
        })();
        return this.poolPromise;
    }

    public get generatedTokens(): number {
        return this.created?.generatedTokens ?? 0;
    }

    public async dispose(): Promise<void> {
        const pool = this.created;
        this.created = undefined;
        this.poolPromise = undefined;
        if (pool) {
            await pool.dispose();
            await pool.model.dispose();
        }
    }
}
