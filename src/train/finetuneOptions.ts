import {DittoError} from "../errors/DittoError.js";
import {enginePrecisions, LoraTarget, loraTargets, type EnginePrecision} from "../engine/TrainEngine.js";
import {defaultActivationMemoryMb} from "../engine/defaultActivationMemoryMb.js";

export const lrSchedules = ["cosine", "constant"] as const;
export type LrSchedule = typeof lrSchedules[number];
export const progressModes = ["bar", "log", "none"] as const;
export type ProgressMode = typeof progressModes[number];
export const trainDevices = ["auto", "cpu", "cuda"] as const;
export type TrainDevice = typeof trainDevices[number];

/** Every training option. `finetuneDefaults` holds every default; nowhere else sets one. */
export type FinetuneOptions = {
    /** base model GGUF (the same file generation and inference use) */
    modelPath: string,
    /** dataset.jsonl in the messages format */
    dataPath: string,
    /** run folder: loss.jsonl, checkpoints/, adapter.gguf, peft/ */
    outDir: string,
    rank: number,
    alpha: number,
    /** dropout on the LoRA input during training */
    dropout: number,
    targets: LoraTarget[],
    /** peak learning rate */
    lr: number,
    /** the cosine schedule ends at lr * minLrRatio */
    minLrRatio: number,
    /** warm-up: a fraction of all steps when < 1, else a step count */
    warmup: number,
    schedule: LrSchedule,
    weightDecay: number,
    /** max global gradient norm; 0 disables clipping */
    clip: number,
    beta1: number,
    beta2: number,
    eps: number,
    epochs: number,
    /** optimizer steps to run; overrides epochs when set (data wraps into further epochs) */
    maxSteps?: number,
    /** sequences per micro-batch */
    batchSize: number,
    /** micro-batches per optimizer step */
    gradAccum: number,
    /** tokens per packed sequence; longer sessions are truncated */
    seqLen: number,
    /**
     * MB of layer activations kept from the forward for the backward (the other layers are
     * recomputed); lowered, with the micro-batch if need be, when the memory plan does not fit
     */
    activationMemoryMb: number,
    /** several sessions per sequence (segments); false: one session per sequence, the rest padding */
    pack: boolean,
    seed: number,
    /** engine threads; default: physical cores */
    threads?: number,
    device: TrainDevice,
    /** products with the frozen weights: fp32 (exact) or bf16 (CPU engine with AVX512-BF16, F16/BF16 weights) */
    precision: EnginePrecision,
    /** share of sessions held out for eval loss */
    evalFraction: number,
    /** eval loss every N steps (and at the end); 0: only at the end */
    evalEvery: number,
    /** checkpoint every N steps; 0: none */
    saveEvery: number,
    /** checkpoints kept on disk (older ones are removed) */
    keepCheckpoints: number,
    /** continue from the last checkpoint in outDir/checkpoints */
    resume: boolean,
    progress: ProgressMode
};

export const finetuneDefaults = {
    rank: 16,
    alpha: 32,
    dropout: 0.05,
    targets: [...loraTargets] as LoraTarget[],
    lr: 2e-4,
    minLrRatio: 0.1,
    warmup: 0.03,
    schedule: "cosine" as LrSchedule,
    weightDecay: 0,
    clip: 1,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    epochs: 3,
    batchSize: 4,
    gradAccum: 4,
    seqLen: 2048,
    activationMemoryMb: defaultActivationMemoryMb,
    pack: true,
    seed: 1,
    device: "auto" as TrainDevice,
    precision: "fp32" as EnginePrecision,
    evalFraction: 0.05,
    evalEvery: 50,
    saveEvery: 100,
    keepCheckpoints: 3,
    resume: false,
    progress: (process.stderr.isTTY ? "bar" : "log") as ProgressMode
} satisfies Partial<FinetuneOptions>;

export type FinetuneInput = Pick<FinetuneOptions, "modelPath" | "dataPath" | "outDir"> & Partial<FinetuneOptions>;

/**
 * Fills defaults and checks every value, naming the option (as its CLI flag) and a valid value.
 * Undefined fields take the default, so callers can pass parsed flags straight through.
 */
export function resolveFinetuneOptions(input: FinetuneInput): FinetuneOptions {
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    const o = {...finetuneDefaults, ...defined} as FinetuneOptions;
    const fail = (flag: string, value: unknown, expected: string, example: string) => {
        throw new DittoError(`--${flag} ${String(value)}: ${expected}`, {hint: `e.g. --${flag} ${example}`, code: "TRAIN_OPTION"});
    };
    const positiveInt = (flag: string, v: number, example: string) => { if (!Number.isInteger(v) || v <= 0) fail(flag, v, "must be a positive integer", example); };
    const nonNegInt = (flag: string, v: number, example: string) => { if (!Number.isInteger(v) || v < 0) fail(flag, v, "must be a whole number >= 0", example); };
    positiveInt("rank", o.rank, "16");
    if (!(o.alpha > 0)) fail("alpha", o.alpha, "must be > 0", "32");
    if (!(o.dropout >= 0 && o.dropout < 1)) fail("dropout", o.dropout, "must be in [0, 1)", "0.05");
    if (o.targets.length === 0 || o.targets.some((t) => !loraTargets.includes(t)))
        fail("targets", o.targets.join(","), `must be a comma-separated list of ${loraTargets.join(", ")}`, "q,k,v,o,gate,up,down");
    if (!(o.lr > 0)) fail("lr", o.lr, "must be > 0", "2e-4");
    if (!(o.minLrRatio >= 0 && o.minLrRatio <= 1)) fail("min-lr-ratio", o.minLrRatio, "must be in [0, 1]", "0.1");
    if (!(o.warmup >= 0) || (o.warmup >= 1 && !Number.isInteger(o.warmup))) fail("warmup", o.warmup, "must be a fraction of all steps (< 1) or a whole number of steps", "0.03");
    if (!lrSchedules.includes(o.schedule)) fail("schedule", o.schedule, `must be one of ${lrSchedules.join(", ")}`, "cosine");
    if (!(o.weightDecay >= 0)) fail("weight-decay", o.weightDecay, "must be >= 0", "0");
    if (!(o.clip >= 0)) fail("clip", o.clip, "must be >= 0 (0 disables clipping)", "1");
    positiveInt("epochs", o.epochs, "3");
    if (o.maxSteps !== undefined) positiveInt("max-steps", o.maxSteps, "1000");
    positiveInt("batch-size", o.batchSize, "4");
    positiveInt("grad-accum", o.gradAccum, "4");
    if (!Number.isInteger(o.seqLen) || o.seqLen < 8) fail("seq-len", o.seqLen, "must be a whole number >= 8", "2048");
    if (!Number.isInteger(o.activationMemoryMb) || o.activationMemoryMb < 0) fail("activation-memory", o.activationMemoryMb, "must be a whole number of MB >= 0", "1024");
    if (!Number.isInteger(o.seed)) fail("seed", o.seed, "must be an integer", "1");
    if (o.threads !== undefined) positiveInt("threads", o.threads, "8");
    if (!trainDevices.includes(o.device)) fail("device", o.device, `must be one of ${trainDevices.join(", ")}`, "auto");
    if (!enginePrecisions.includes(o.precision)) fail("precision", o.precision, `must be one of ${enginePrecisions.join(", ")}`, "fp32");
    if (!(o.evalFraction >= 0 && o.evalFraction < 1)) fail("eval-fraction", o.evalFraction, "must be in [0, 1)", "0.05");
    nonNegInt("eval-every", o.evalEvery, "50");
    nonNegInt("save-every", o.saveEvery, "100");
    positiveInt("keep-checkpoints", o.keepCheckpoints, "3");
    if (!progressModes.includes(o.progress)) fail("progress", o.progress, `must be one of ${progressModes.join(", ")}`, "bar");
    return o;
}
