import {test} from "node:test";
import assert from "node:assert/strict";
import {recipeSchema} from "../../src/recipes/recipeSchema.js";
import {finetuneInputFromRecipe} from "../../src/train/finetuneInputFromRecipe.js";
import {resolveFinetuneOptions} from "../../src/train/finetuneOptions.js";

test("a recipe's train section maps onto finetune options, and they validate", () => {
    const recipe = recipeSchema.parse({
        name: "t", seed: 9, models: {generator: "x"},
        train: {lora: {rank: 8, targets: ["q", "v"]}, optim: {lr: 1e-4, min_lr_ratio: 0.2}, batch: {sequences: 2, seq_len: 512, grad_accum: 8, pack: false}, max_steps: 40}
    });
    const o = resolveFinetuneOptions(finetuneInputFromRecipe(recipe, {modelPath: "m.gguf", dataPath: "runs/t/dataset.jsonl", outDir: "runs/t/train"}, {progress: "none"}));
    assert.deepEqual([o.rank, o.alpha, o.targets, o.lr, o.minLrRatio, o.batchSize, o.seqLen, o.gradAccum, o.pack, o.maxSteps, o.seed, o.progress],
        [8, 32, ["q", "v"], 1e-4, 0.2, 2, 512, 8, false, 40, 9, "none"]);
});
