// K-quant bases (Q4_K, Q6_K projections) stay in their blocks and are decoded inside the products:
// training on them must match training on the same values expanded to F32 in the file.
import {test} from "node:test";
import assert from "node:assert/strict";
import {openEngine} from "../../src/engine/openEngine.js";
import {loraTargets} from "../../src/engine/TrainEngine.js";
import type {OptimizerSettings, TrainBatch} from "../../src/engine/TrainEngine.js";
import {kQuantModel} from "../adapter/kQuantModel.js";

const adamw: OptimizerSettings = {lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clip: 1, gradScale: 1};

function batch(): TrainBatch {
    const tokens = [151644, 872, 198, 9707, 11, 1879, 0, 151645, 151644, 77091, 198, 40, 1079, 264, 18862, 13, 151645, 198];
    const n = tokens.length;
    return {batch: 1, seqLen: n, tokens: Int32Array.from(tokens), targets: Int32Array.from(tokens, (_, i) => i + 1 < n ? tokens[i + 1]! : -1),
        segments: new Int32Array(n)};
}

/** Losses of four training steps and the LoRA weights after them. */
async function train(variant: "kquant" | "expanded" | "f32"): Promise<{losses: number[], weights: Float32Array}> {
    const engine = await openEngine({modelPath: kQuantModel(variant), lora: {rank: 4, alpha: 8, dropout: 0, targets: [...loraTargets]}, threads: 2, seed: 3});
    try {
        const losses: number[] = [];
        for (let step = 0; step < 4; step++) {
            const r = await engine.accumulate(batch());
            losses.push(r.lossSum / r.tokens);
            await engine.optimizerStep({...adamw, gradScale: r.tokens});
        }
        return {losses, weights: engine.getState().weights};
    } finally {
        engine.close();
    }
}

test("a Q4_K/Q6_K base trains as its values expanded to F32 do", async () => {
    const quant = await train("kquant"), expanded = await train("expanded"), unquantized = await train("f32");
    const lossDiff = Math.max(...quant.losses.map((l, i) => Math.abs(l - expanded.losses[i]!)));
    let weightDiff = 0, weightMax = 0;
    for (let i = 0; i < quant.weights.length; i++) {
        weightDiff = Math.max(weightDiff, Math.abs(quant.weights[i]! - expanded.weights[i]!));
        weightMax = Math.max(weightMax, Math.abs(expanded.weights[i]!));
    }
    const quantizationEffect = Math.abs(quant.losses[0]! - unquantized.losses[0]!);
    console.log(`losses ${quant.losses.map((l) => l.toFixed(6)).join(" ")}; vs expanded: loss diff ${lossDiff.toExponential(2)}, ` +
        `weight diff ${weightDiff.toExponential(2)} of ${weightMax.toExponential(2)}; vs unquantized F32: ${quantizationEffect.toExponential(2)}`);
    assert.ok(quant.losses.at(-1)! < quant.losses[0]!, "loss falls");
    // the same values in different encodings: only float rounding of the products differs
    assert.ok(lossDiff < 1e-5 * quant.losses[0]!, `loss differs by ${lossDiff}`);
    assert.ok(weightDiff < 1e-4 * weightMax, `LoRA weights differ by ${weightDiff}`);
    // and the comparison can see a decoding mistake: quantization alone moves the loss far more
    assert.ok(quantizationEffect > 100 * lossDiff, `quantization effect ${quantizationEffect} vs ${lossDiff}`);
});
