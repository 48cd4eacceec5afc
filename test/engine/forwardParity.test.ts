// The engine's forward pass against llama.cpp (node-llama-cpp) on the same GGUF and tokens.
// llama.cpp returns next-token probabilities over the whole vocabulary when sampling greedily
// (temperature 0 keeps every candidate), so we compare log-softmax values, which equal the
// logits up to a per-position constant.
import {test} from "node:test";
import assert from "node:assert/strict";
import type {ControlledEvaluateInputItem, Token} from "node-llama-cpp";
import {openLlama} from "../../src/runtime/openLlama.js";
import {openEngine} from "../../src/engine/openEngine.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import type {FixtureArch, FixtureSize, FixtureType} from "../../src/fixtures/fixtureSpecs.js";

const shortTokens = [9707, 11, 1879, 0, 374, 264, 1273, 13, 151645, 198, 5, 77, 1000, 42, 7, 3];
// 150 tokens: more rows than one MC block (144) and several attention row blocks (64)
const longTokens = Array.from({length: 150}, (_, i) => (i * 7919 + 13) % 150000);
// positions compared for the long input: block edges and the end (all 150 would be 150 vocab-sized maps)
const longCompared = [0, 63, 64, 127, 128, 143, 144, 149];

async function llamaLogProbs(path: string, tokens: number[], compared: number[]): Promise<Map<number, Float64Array>> {
    const llama = await openLlama("cpu");
    const model = await llama.loadModel({modelPath: path});
    // f32 KV cache and no flash attention: llama.cpp's defaults (f16 cache) would add their own rounding
    const context = await model.createContext({threads: 2, contextSize: 256, flashAttention: false,
        experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"});
    try {
        const sequence = context.getSequence();
        const input: ControlledEvaluateInputItem[] = tokens.map((t, i) => compared.includes(i) ? [t as Token, {generateNext: {probabilities: true}}] : (t as Token));
        const out = await sequence.controlledEvaluate(input);
        const result = new Map<number, Float64Array>();
        for (const i of compared) {
            const probs = out[i]?.next?.probabilities;
            assert.ok(probs, `no probabilities from llama.cpp at position ${i}`);
            const keyed = new Float64Array(vocabOf(probs)).fill(Number.NaN);
            for (const [token, p] of probs) keyed[token] = Math.log(p);
            result.set(i, keyed);
        }
        return result;
    } finally {
        await context.dispose();
        await model.dispose();
    }
}

function vocabOf(probs: Map<number, number>): number {
    let max = 0;
    for (const token of probs.keys()) max = Math.max(max, token);
    return max + 1;
}

function logSoftmax(logits: Float32Array, row: number, vocab: number): Float64Array {
    const out = new Float64Array(vocab);
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) max = Math.max(max, logits[row * vocab + j]!);
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[row * vocab + j]! - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < vocab; j++) out[j] = logits[row * vocab + j]! - lse;
    return out;
}

// f32: the same math in another summation order; measured ~1.2e-5 on tiny
const cases: [FixtureArch, FixtureType, number, FixtureSize][] = [
    ["llama", "f32", 1e-4, "tiny"], ["qwen2", "f32", 1e-4, "tiny"], ["qwen3", "f32", 1e-4, "tiny"], ["qwen2", "f32", 1e-4, "wide"],
    // llama.cpp rounds activations to 8 bits for Q8_0 dot products (and to f16/bf16 for those
    // weights) while we keep activations float, so these differ by that rounding (~4e-2 for
    // Q8_0); a wrong block decode would be off by whole units.
    ["qwen2", "q8_0", 0.1, "tiny"], ["llama", "f16", 0.1, "tiny"], ["qwen3", "bf16", 0.1, "tiny"],
    // The 4- and 5-bit types meet 8-bit activations too (Q8_0 blocks for Q4_0/Q5_0, Q8_1 for
    // Q4_1/Q5_1, Q8_K for Q5_K): measured 3.6-4.1e-2 on tiny qwen2/qwen3; 1.1e-1 for Q4_1 on tiny
    // llama, whose log-probs the same rounding moves more (Q8_0 on tiny llama: 1.0e-1); 1.5e-1 for
    // Q5_K on wide (one activation scale per 256 values; Q8_0 and Q5_0 on wide: 1.0e-1).
    ["qwen2", "q4_0", 0.1, "tiny"], ["llama", "q4_1", 0.25, "tiny"], ["qwen3", "q5_0", 0.1, "tiny"], ["qwen2", "q5_1", 0.1, "tiny"],
    ["qwen2", "q5_k", 0.3, "wide"], ["qwen3", "q4_k", 0.3, "wide"], ["llama", "q6_k", 0.3, "wide"]
];

/** Largest |log-prob difference| between the engine on `path` and llama.cpp's log-probs, and how many values were compared. */
async function differenceTo(reference: Map<number, Float64Array>, path: string, tokens: number[]): Promise<{maxDiff: number, values: number}> {
    const engine = await openEngine({modelPath: path, lora: {rank: 4, alpha: 8, dropout: 0, targets: ["q", "v"]}, threads: 2, seed: 1});
    try {
        const vocab = engine.info.nVocab;
        const logits = await engine.logits(Int32Array.from(tokens));
        let maxDiff = 0, values = 0;
        for (const [i, theirs] of reference) {
            const ours = logSoftmax(logits, i, vocab);
            for (let j = 0; j < theirs.length; j++) {
                if (Number.isNaN(theirs[j]!)) continue;
                maxDiff = Math.max(maxDiff, Math.abs(ours[j]! - theirs[j]!));
                values++;
            }
        }
        return {maxDiff, values};
    } finally {
        engine.close();
    }
}

for (const [arch, type, tolerance, size] of cases) {
    test(`forward log-probs equal llama.cpp's: ${size} ${arch} ${type}`, async () => {
        const path = fixtureModel(arch, type, size);
        const tokens = size === "tiny" ? shortTokens : longTokens;
        const compared = size === "tiny" ? tokens.map((_, i) => i) : longCompared;
        const reference = await llamaLogProbs(path, tokens, compared);
        const {maxDiff, values} = await differenceTo(reference, path, tokens);
        console.log(`${size} ${arch} ${type}: max |log-prob difference| = ${maxDiff.toExponential(3)} over ${values} values`);
        assert.ok(values >= compared.length * 1000, `only ${values} values compared`);
        assert.ok(maxDiff < tolerance, `max difference ${maxDiff} exceeds ${tolerance}`);
        if (type !== "q8_0" && type.startsWith("q")) {
            // The f32 fixture of the same seed holds the values this file quantized: the engine on
            // those must land farther from llama.cpp than on the decoded blocks, or the tolerance
            // could not see a decoding mistake (measured 2.5x for Q6_K, whose 6 bits move the
            // log-probs least, 4.8-18x for the others).
            const floats = await differenceTo(reference, fixtureModel(arch, "f32", size), tokens);
            console.log(`${size} ${arch} ${type}: unquantized weights differ by ${floats.maxDiff.toExponential(3)}`);
            assert.ok(floats.maxDiff > 2 * maxDiff, `quantization moves the log-probs by ${floats.maxDiff}, the decoding differs by ${maxDiff}`);
        }
    });
}
