// The engine's count of executed product flops (ditto_gemm_flops, read by bench:train to compare
// with the FMA peak): one evaluation of N tokens adds the forward's weight, LoRA and head products
// exactly, plus attention's score and value products, which lie between zero and the full
// (non-causal) N x N bound. A counter that misses a product path, or counts one twice, falls
// outside.
import {test} from "node:test";
import assert from "node:assert/strict";
import {openEngine} from "../../src/engine/openEngine.js";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";
import {loraTargets} from "../../src/engine/TrainEngine.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

test("gemmFlops counts every product of an evaluation once", async () => {
    const rank = 4;
    const engine = await openEngine({modelPath: fixtureModel("qwen2", "f32", "tiny"), lora: {rank, alpha: 8, dropout: 0, targets: [...loraTargets]},
        threads: 2, seed: 1});
    try {
        const {nLayer: L, nEmbd: C, nHead: H, nHeadKv: Hkv, headDim: D, nFf: F, nVocab: V} = engine.info;
        const N = 24;
        const tokens = Int32Array.from({length: N}, (_, i) => (i * 131 + 7) % V);
        const targets = Int32Array.from({length: N}, (_, i) => (i * 17 + 3) % V);
        const addon = loadNativeAddon();
        const before = addon.gemmFlops();
        await engine.evaluate({batch: 1, seqLen: N, tokens, targets, segments: new Int32Array(N)});
        const counted = addon.gemmFlops() - before;
        const Q = H * D, KV = Hkv * D;
        // [in, out] of each LoRA target: the base product and the pair x A^T, h B^T
        const shapes = [[C, Q], [C, KV], [C, KV], [Q, C], [C, F], [C, F], [F, C]];
        const perLayer = shapes.reduce((s, [i, o]) => s + 2 * N * i! * o! + 2 * N * rank * (i! + o!), 0);
        const exact = L * perLayer + 2 * N * C * V;  // + the output head over every target row
        const attentionBound = L * 2 * (2 * H * N * N * D);  // scores and values, every key of every query
        console.log(`counted ${counted} flops; weights, LoRA and head ${exact}; attention at most ${attentionBound}`);
        assert.ok(counted >= exact && counted <= exact + attentionBound, `counted ${counted}, expected ${exact} .. ${exact + attentionBound}`);
    } finally {
        engine.close();
    }
});
