// Gradients: (1) every op's backward against central finite differences in double precision,
// run natively; (2) the whole model's LoRA gradients against finite differences of the loss,
// for every architecture, in float, so a mis-wired layer (not a mis-derived op) is caught.
import {test} from "node:test";
import assert from "node:assert/strict";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";
import {openEngine} from "../../src/engine/openEngine.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {loraTargets} from "../../src/engine/TrainEngine.js";
import type {TrainBatch} from "../../src/engine/TrainEngine.js";
import {Rng} from "../../src/random/Rng.js";

test("every op's backward equals finite differences (double precision)", () => {
    const {worst, report} = loadNativeAddon().selftestGradcheck();
    console.log(report + `worst relative error ${worst.toExponential(3)}`);
    assert.ok(worst < 1e-6, `gradient check failed:\n${report}`);
});

function batchOf(tokens: number[], segments: number[]): TrainBatch {
    const targets = tokens.map((_, i) => (i + 1 < tokens.length && segments[i + 1] === segments[i] ? tokens[i + 1]! : -1));
    return {batch: 1, seqLen: tokens.length, tokens: Int32Array.from(tokens), targets: Int32Array.from(targets), segments: Int32Array.from(segments)};
}

// llama runs with activationMemoryMb 0, so its check goes through the per-layer recompute
for (const arch of ["llama", "qwen2", "qwen3"] as const) {
    test(`whole-model LoRA gradients equal finite differences: tiny ${arch}`, async () => {
        const engine = await openEngine({modelPath: fixtureModel(arch, "f32", "tiny"),
            lora: {rank: 2, alpha: 4, dropout: 0, targets: [...loraTargets]}, threads: 2, seed: 3, activationMemoryMb: arch === "llama" ? 0 : 1024});
        try {
            // B = 0 at init makes A's gradient vanish; give B values so both are exercised
            const state = engine.getState();
            const rng = new Rng(7);
            for (let i = 0; i < state.weights.length; i++) state.weights[i] = state.weights[i]! + (rng.next() - 0.5) * 0.2;
            engine.setState(state);
            const batch = batchOf([100, 2000, 31, 77, 9000, 5, 64, 123, 4000, 8], [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
            await engine.accumulate(batch);
            const grads = engine.gradients();
            const pairs = engine.loraPairs();
            // offsets of A and B of each pair in the flat buffer, in order
            let offset = 0;
            const probes: number[] = [];
            for (const p of pairs) {
                const aSize = p.a.length, bSize = p.b.length;
                probes.push(offset + Math.floor(rng.next() * aSize), offset + aSize + Math.floor(rng.next() * bSize));
                offset += aSize + bSize;
            }
            const eps = 1e-2;
            // float finite differences carry ~1e-3 absolute noise (loss sums of ~100 in float), so
            // the error is taken relative to the largest gradient probed, as in the double check
            let maxDiff = 0, maxGrad = 0;
            for (const idx of probes) {
                const w = state.weights[idx]!;
                const lossAt = async (value: number) => {
                    state.weights[idx] = value;
                    engine.setState(state);
                    return (await engine.evaluate(batch)).lossSum;
                };
                const numeric = (await lossAt(w + eps) - await lossAt(w - eps)) / (2 * eps);
                state.weights[idx] = w;
                maxDiff = Math.max(maxDiff, Math.abs(numeric - grads[idx]!));
                maxGrad = Math.max(maxGrad, Math.abs(numeric));
            }
            const worst = maxDiff / maxGrad;
            console.log(`tiny ${arch}: ${probes.length} LoRA parameters (A and B of every pair), max |diff| ${maxDiff.toExponential(3)}, ` +
                `max |grad| ${maxGrad.toExponential(3)}, relative ${worst.toExponential(3)}`);
            assert.ok(worst < 2e-3, `whole-model gradient relative error ${worst}`);
        } finally {
            engine.close();
        }
    });
}
