/**
 * The contract between the TypeScript training driver (src/train/) and the native LoRA engine
 * (native/, bound in src/engine/). The engine sees token ids, targets and LoRA buffers only;
 * tokenization, templates, masks, schedules and checkpoints live in TypeScript.
 * The native binding (src/engine/NativeTrainEngine.ts) implements it.
 */

/** The seven projections LoRA may adapt, by their llama.cpp tensor names. */
export const loraTargets = ["q", "k", "v", "o", "gate", "up", "down"] as const;
export type LoraTarget = typeof loraTargets[number];

/** GGUF tensor name stem for each target: blk.N.<stem>.weight */
export const loraTargetTensor: Record<LoraTarget, string> = {
    q: "attn_q", k: "attn_k", v: "attn_v", o: "attn_output", gate: "ffn_gate", up: "ffn_up", down: "ffn_down"
};

export type LoraConfig = {
    rank: number,
    alpha: number,
    /** dropout on the LoRA input during training; 0 disables */
    dropout: number,
    targets: LoraTarget[]
};

export type EngineOpenOptions = {
    /** GGUF base model (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K weights; llama, qwen2, qwen3) */
    modelPath: string,
    lora: LoraConfig,
    /** CPU threads; default: physical cores */
    threads?: number,
    /**
     * auto: the CUDA engine when this build has it and a usable GPU is present, else the CPU.
     * cuda-emulated: the CUDA engine's sources run on the CPU through the emulator (tests only; slow).
     */
    device?: EngineDevice,
    /**
     * Products with the frozen weights. fp32 (default): exact. bf16 (CPU engine, CPUs with
     * AVX512-BF16): F16/BF16 weights and the activations multiplying them rounded to bf16,
     * fp32 accumulation; other weight types, LoRA, gradients and AdamW stay fp32.
     */
    precision?: EnginePrecision,
    /** seeds LoRA A init and dropout masks */
    seed: number,
    /**
     * MB of layer activations kept from the forward for the backward; layers beyond it are
     * recomputed from their saved input (memory stays flat in depth). 0 = recompute every layer.
     * Default 1024.
     */
    activationMemoryMb?: number
};

export type EngineDevice = "cpu" | "cuda" | "auto" | "cuda-emulated";

export const enginePrecisions = ["fp32", "bf16"] as const;
export type EnginePrecision = typeof enginePrecisions[number];

/** Where an engine runs. */
export type DeviceInfo = {
    kind: "cpu" | "cuda" | "cuda-emulated",
    /** GPU name, or the CPU matrix kernel */
    name: string,
    /** "9.0" on a GPU, null on the CPU */
    computeCapability: string | null,
    /** GPU memory; 0 on the CPU */
    memoryBytes: number,
    /** matrix-product backend: "cublaslt", "wmma", or the CPU kernel ("avx512bf16": precision bf16 on F16/BF16 weights) */
    gemm: string,
    /** with device auto on the CPU: why CUDA was not used ("" otherwise) */
    note: string
};

export type ModelInfo = {
    arch: "llama" | "qwen2" | "qwen3",
    nLayer: number, nEmbd: number, nHead: number, nHeadKv: number, headDim: number, nFf: number, nVocab: number,
    ropeBase: number, normEps: number, tiedOutput: boolean,
    /** trainable LoRA parameter count */
    loraParameters: number,
    /** the device the engine runs on (absent in engines that are not native) */
    device?: DeviceInfo
};

/**
 * One micro-batch: `batch` rows of `seqLen` tokens, row-major.
 * targets[i] is the token to predict at position i, or -1 where no loss is taken (system, user,
 * template tokens, padding). segments[i] numbers the packed session a token belongs to (attention
 * never crosses segments; positions restart at 0 in each segment); padding has segment -1.
 */
export type TrainBatch = {
    batch: number,
    seqLen: number,
    tokens: Int32Array,
    targets: Int32Array,
    segments: Int32Array
};

export type StepResult = {
    /** sum of token cross-entropies over positions with a target */
    lossSum: number,
    /** number of positions with a target */
    tokens: number
};

export type OptimizerSettings = {
    lr: number,
    beta1: number, beta2: number, eps: number,
    weightDecay: number,
    /** max global gradient norm; 0 disables clipping */
    clip: number,
    /** gradients are divided by this before the update (the number of target tokens accumulated) */
    gradScale: number
};

/** One LoRA pair: A is [rank x nIn] row-major, B is [nOut x rank] row-major; delta W = (alpha/rank) B A. */
export type LoraPair = {layer: number, target: LoraTarget, nIn: number, nOut: number, a: Float32Array, b: Float32Array};

/** Everything needed to resume training exactly: weights, AdamW moments, step counter, RNG state. */
export type EngineState = {
    step: number,
    /** LoRA weights, AdamW m and v: each one contiguous buffer, same layout */
    weights: Float32Array, m: Float32Array, v: Float32Array,
    rng: bigint
};

export interface TrainEngine {
    readonly info: ModelInfo;
    /** forward + backward on one micro-batch; gradients accumulate until optimizerStep */
    accumulate(batch: TrainBatch): Promise<StepResult>;
    /** forward only, no dropout (held-out loss) */
    evaluate(batch: TrainBatch): Promise<StepResult>;
    /** AdamW update from the accumulated gradients, then zero them; returns the (pre-clip) global grad norm */
    optimizerStep(settings: OptimizerSettings): Promise<{gradNorm: number}>;
    /** logits [tokens.length x nVocab] of one unpacked sequence, with the current LoRA applied (parity tests) */
    logits(tokens: Int32Array): Promise<Float32Array>;
    getState(): EngineState;
    setState(state: EngineState): void;
    loraPairs(): LoraPair[];
    close(): void;
}
