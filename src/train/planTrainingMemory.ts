import type {ModelShape} from "../engine/modelShapeOf.js";
import {fitMemoryPlan, type FittedPlan} from "../engine/fitMemoryPlan.js";
import {availableMemory} from "../engine/availableMemory.js";
import {resolveThreads} from "../runtime/physicalCores.js";
import type {FinetuneOptions} from "./finetuneOptions.js";
import type {PackedRow} from "./packSequences.js";

/**
 * The CPU engine's memory plan for a run, made before the engine opens (so the activation budget
 * it picks is the one the engine is opened with): the model's shapes (from its GGUF header), what
 * this process already holds, and the machine's available memory.
 */
export function planTrainingMemory(o: FinetuneOptions, shape: ModelShape, rows: readonly PackedRow[]): FittedPlan {
    // the loss head's memory follows the target tokens of the fullest micro-batch
    const perRow = rows.map((r) => r.targets.reduce((n, t) => n + (t >= 0 ? 1 : 0), 0)).sort((a, b) => b - a);
    const targetTokens = perRow.slice(0, o.batchSize).reduce((a, b) => a + b, 0);
    return fitMemoryPlan({
        shape,
        lora: {rank: o.rank, dropout: o.dropout, targets: o.targets},
        batchSize: o.batchSize, gradAccum: o.gradAccum, seqLen: o.seqLen, activationMemoryMb: o.activationMemoryMb, targetTokens,
        threads: resolveThreads(o.threads),
        baselineBytes: settledRss(),
        availableBytes: availableMemory()
    });
}

/** This process's resident memory, without the garbage of loading (collected first where node runs with --expose-gc). */
function settledRss(): number {
    (globalThis as {gc?: () => void}).gc?.();
    return process.memoryUsage().rss;
}
