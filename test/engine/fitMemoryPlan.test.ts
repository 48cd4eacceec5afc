import {test} from "node:test";
import assert from "node:assert/strict";
import {fitMemoryPlan} from "../../src/engine/fitMemoryPlan.js";
import {formatMemoryPlan} from "../../src/engine/formatMemoryPlan.js";
import {DittoError} from "../../src/errors/DittoError.js";
import {fixtureShape} from "../../src/fixtures/fixtureSpecs.js";
import type {ModelShape} from "../../src/engine/modelShapeOf.js";
import {loraTargets} from "../../src/engine/TrainEngine.js";

// Qwen2.5-7B-Instruct at Q8_0 (the bench-7b fixture's shapes), trained as recipes/qwen-7b.yaml asks.
const s = fixtureShape("bench-7b", "qwen2");
const shape: ModelShape = {arch: "qwen2", nLayer: s.nLayer, nEmbd: s.nEmbd, nHead: s.nHead, nHeadKv: s.nHeadKv, headDim: s.headDim,
    nFf: s.nFf, nVocab: 152064, parameters: 7.6e9, weightBytes: 8.1e9};
const GB = 1e9;
const request = (availableGb: number) => ({
    shape, lora: {rank: 16, dropout: 0.05, targets: [...loraTargets]}, batchSize: 8, gradAccum: 2, seqLen: 4096,
    activationMemoryMb: 4096, threads: 2, baselineBytes: 0.3 * GB, availableBytes: availableGb * GB
});

test("plenty of memory: the request stands", () => {
    const p = fitMemoryPlan(request(400));
    assert.deepEqual([p.batchSize, p.gradAccum, p.activationMemoryMb, p.changes], [8, 2, 4096, []]);
    assert.match(formatMemoryPlan(p), /^plan: weights 8\.10 GB, LoRA state 1\.\d\d GB, activations 4\d\.\d\d GB \(recompute 28 of 28 layers\), peak \d+\.\d\d GB of 400\.30 GB free$/);
});

test("a 24 GiB machine: the micro-batch shrinks, accumulation keeps the effective batch, and the plan fits", () => {
    const p = fitMemoryPlan(request(22));
    assert.ok(p.fits && p.peakBytes <= p.limitBytes, formatMemoryPlan(p));
    assert.ok(p.batchSize < 8 && 8 % p.batchSize === 0, `micro-batch ${p.batchSize}`);
    assert.equal(p.batchSize * p.gradAccum, 16);
    assert.ok(p.changes.some((c) => /micro-batch 8 -> \d sequences/.test(c)), p.changes.join("; "));
});

test("memory for the full micro-batch but not the activation budget: only the budget is lowered, to the most that fits", () => {
    const none = fitMemoryPlan({...request(400), activationMemoryMb: 0});
    const spare = 2 * none.layerBytes + none.layerBytes / 2;  // room for two and a half kept layers
    const p = fitMemoryPlan({...request((none.peakBytes - 0.3 * GB + spare) / GB), activationMemoryMb: 1e6});
    assert.equal(p.batchSize, 8);
    assert.equal(p.keptLayers, 2);
    assert.ok(p.activationMemoryMb < 1e6 && p.fits, formatMemoryPlan(p));
});

test("too little memory for even one sequence: a named error with the numbers and the fix", () => {
    assert.throws(() => fitMemoryPlan(request(6)), (e: unknown) => {
        assert.ok(e instanceof DittoError);
        assert.equal(e.code, "TRAIN_MEMORY");
        assert.match(e.message, /needs \d+\.\d\d GB even with a micro-batch of 1 sequence .* but only 6\.30 GB is free/);
        assert.match(e.hint ?? "", /--seq-len/);
        return true;
    });
});
