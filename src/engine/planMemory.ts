import type {LoraTarget} from "./TrainEngine.js";
import type {ModelShape} from "./modelShapeOf.js";

export type MemoryPlanRequest = {
    shape: ModelShape,
    lora: {rank: number, dropout: number, targets: readonly LoraTarget[]},
    /** sequences per micro-batch */
    batchSize: number,
    seqLen: number,
    /** most target tokens (positions with a loss) in one micro-batch; default batchSize * seqLen */
    targetTokens?: number,
    /** activations kept from the forward for the backward, MB (MiB); the other layers are recomputed */
    activationMemoryMb: number,
    threads: number,
    /** what the process holds before the engine opens (runtime, tokenizer, data), bytes */
    baselineBytes: number,
    /** memory the process may still take: available memory of the machine, bytes */
    availableBytes: number
};

export type MemoryPlan = {
    weightBytes: number,
    loraBytes: number,
    /** everything a micro-batch needs: kept layers, the recomputed layer, layer inputs, scratch */
    activationBytes: number,
    /** layers whose activations are kept (the rest are recomputed in the backward) */
    keptLayers: number,
    nLayer: number,
    baselineBytes: number,
    peakBytes: number,
    /** baseline + available: the most the process can reach */
    limitBytes: number,
    fits: boolean,
    batchSize: number,
    activationMemoryMb: number,
    /** bytes of one kept layer's activations for this micro-batch */
    layerBytes: number
};

const float = 4;
// Vocabulary rows per chunk of the output head (native/src/Engine.cpp vocabChunk): the
// cross-entropy keeps one chunk of logits per target token.
const vocabChunk = 8064;
// Per thread: the packed A block and B panel of the matrix products (native/src/Gemm.cpp
// MC*KC + KC*(NC+NR) floats), and one shared packed A of at most 2^23 floats.
const gemmFloatsPerThread = 144 * 256 + 256 * (3072 + 16), gemmSharedMaxFloats = 1 << 23;

/**
 * The peak memory of training with the native CPU engine, from the model's shapes and the run's
 * settings. Each term mirrors a buffer of native/src/Engine.cpp (layerActsFloatsPerToken,
 * ensureLayerActs, ensureScratch, run) or Ops.h, so a change there must change this too; the test
 * holds the plan to the measured peak RSS within 15%.
 */
export function planMemory(r: MemoryPlanRequest): MemoryPlan {
    const s = r.shape;
    const C = s.nEmbd, Q = s.nHead * s.headDim, KV = s.nHeadKv * s.headDim, F = s.nFf, H = s.nHead, L = s.nLayer;
    const rank = r.lora.rank, qwen3 = s.arch === "qwen3";
    const inOut: Record<LoraTarget, [number, number]> = {q: [C, Q], k: [C, KV], v: [C, KV], o: [Q, C], gate: [C, F], up: [C, F], down: [F, C]};
    let loraParams = 0, perToken = 3 * C + 2 + 2 * Q + 2 * KV + H + 3 * F;
    if (qwen3) perToken += Q + KV + H + s.nHeadKv;
    for (const t of r.lora.targets) {
        const [nIn, nOut] = inOut[t];
        loraParams += L * rank * (nIn + nOut);
        perToken += rank + (r.lora.dropout > 0 ? nIn : 0);
    }
    const N = r.batchSize * r.seqLen;
    const layerBytes = perToken * N * float;
    const budget = r.activationMemoryMb * 1048576;
    const keptLayers = Math.min(L, Math.floor(budget / layerBytes));
    const maxIn = Math.max(C, Q, F);
    const scratchPerToken =
        (L + 1) * C +                                   // every layer's input, kept for the backward
        3 * C + 2 * Q + 2 * KV + 3 * F + rank + maxIn +  // o, down, dxn, dq, datt, dk, dv, dg, du, dact, dh, dxl
        (qwen3 ? Q + KV : 0) +                          // dqraw, dkraw
        2 * Q +                                         // attention dk, dv per query head
        2 * C;                                          // dx, the recompute output
    const Nt = Math.min(N, r.targetTokens ?? N);
    const perTarget = vocabChunk + 3 + 4 * C + 2;       // a chunk of logits, running max, sum, target logit; final norm in/out and gradients
    const attentionRows = 2 * 64 * r.seqLen * r.threads;
    const gemmShared = Math.min(gemmSharedMaxFloats, N * maxIn);
    const activationBytes = (keptLayers + 1) * layerBytes + (scratchPerToken * N + perTarget * Nt + attentionRows +
        gemmFloatsPerThread * r.threads + gemmShared) * float;
    // the engine's weights, gradients and AdamW moments, and one copy of them in JavaScript while
    // a checkpoint or the adapter is written
    const loraBytes = 8 * loraParams * float;
    const peakBytes = r.baselineBytes + s.weightBytes + loraBytes + activationBytes;
    const limitBytes = r.baselineBytes + r.availableBytes;
    return {
        weightBytes: s.weightBytes, loraBytes, activationBytes, keptLayers, nLayer: L, baselineBytes: r.baselineBytes,
        peakBytes, limitBytes, fits: peakBytes <= limitBytes, batchSize: r.batchSize, activationMemoryMb: r.activationMemoryMb, layerBytes
    };
}
