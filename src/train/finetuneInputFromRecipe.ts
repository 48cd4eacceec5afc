import type {Recipe} from "../recipes/recipeSchema.js";
import type {FinetuneInput} from "./finetuneOptions.js";

/**
 * The `train:` section of a recipe as finetune() options, for `ditto train`. The recipe's keys
 * are snake_case YAML; the run supplies the paths (student model, dataset.jsonl, runs/<name>/train).
 */
export function finetuneInputFromRecipe(recipe: Recipe, paths: {modelPath: string, dataPath: string, outDir: string},
    extra: Partial<FinetuneInput> = {}): FinetuneInput {
    const t = recipe.train;
    return {
        ...paths,
        rank: t.lora.rank, alpha: t.lora.alpha, dropout: t.lora.dropout, targets: [...t.lora.targets],
        lr: t.optim.lr, warmup: t.optim.warmup, schedule: t.optim.schedule, minLrRatio: t.optim.min_lr_ratio,
        weightDecay: t.optim.weight_decay, clip: t.optim.clip,
        batchSize: t.batch.sequences, seqLen: t.batch.seq_len, gradAccum: t.batch.grad_accum, pack: t.batch.pack,
        activationMemoryMb: t.activation_memory_mb,
        epochs: t.epochs, maxSteps: t.max_steps, evalFraction: t.eval_fraction, saveEvery: t.save_every, device: t.device,
        precision: t.precision,
        seed: recipe.seed, threads: recipe.runtime.threads,
        ...extra
    };
}
