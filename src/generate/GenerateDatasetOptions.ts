import type {Recipe} from "../recipes/recipeSchema.js";
import type {StageName} from "../runs/stageNames.js";
import type {GpuChoice} from "../runtime/openLlama.js";

/** One progress report of a stage: `start`, then `progress` as records finish, then `done` (or `skip` when already complete). */
export type StageProgress = {
    stage: StageName,
    event: "start" | "progress" | "done" | "skip",
    done: number,
    total: number,
    /** tokens generated in this stage so far (this process) */
    tokens: number,
    elapsedMs: number,
    /** at "done": profiles cut to fit the context, and the tokens cut */
    trimmed?: {profiles: number, tokens: number}
};

export type GenerateDatasetOptions = {
    /** the resolved recipe (loadRecipe(...).recipe) */
    recipe: Recipe,
    /** the run folder: created if missing, resumed if it holds an unfinished run of the same recipe */
    runDir: string,
    /** folder the recipe's relative paths (character files, dumps, prompts, model paths) are resolved against; default: the working directory */
    recipeDir?: string,
    /** the recipe file, recorded in the manifest */
    recipeFile?: string,
    /** stages to run, in pipeline order (default: all). Each needs the previous stages complete; complete stages are skipped. */
    stages?: readonly StageName[],
    /** default: recipe.runtime.gpu */
    gpu?: GpuChoice,
    /**
     * Generate only shard `index` of `count` (0-based): characters and pairs are made whole (cheap,
     * identical in every shard), queries and responses only for this shard's pairs. Sessions and the
     * data set need every shard: merge them first (`ditto runs merge`). Default: no sharding.
     */
    shard?: {index: number, count: number},
    /** CPU threads for llama.cpp; default: recipe.runtime.threads, else physical cores */
    threads?: number,
    onProgress?: (event: StageProgress) => void,
    /** bad profile records and similar things worth telling (default: ignored; also kept in manifest.warnings) */
    onWarning?: (message: string) => void
};
