import {DittoError} from "../errors/DittoError.js";
import {planMemory, type MemoryPlan, type MemoryPlanRequest} from "./planMemory.js";

export type FittedPlan = MemoryPlan & {
    /** micro-batches per optimizer step after a smaller micro-batch was chosen (the effective batch is kept) */
    gradAccum: number,
    /** what was lowered to fit, for the log; empty when the request fit as it was */
    changes: string[]
};

const gb = (bytes: number) => (bytes / 1e9).toFixed(2);

/**
 * The plan for the requested settings if it fits; else the largest activation budget that fits,
 * then the largest micro-batch (a divisor of the requested one, so gradient accumulation keeps
 * the effective batch exactly); else a DittoError with the numbers and the fix.
 */
export function fitMemoryPlan(request: MemoryPlanRequest & {gradAccum: number}): FittedPlan {
    const first = planMemory(request);
    if (first.fits) return {...first, gradAccum: request.gradAccum, changes: []};
    for (let batch = request.batchSize; batch >= 1; batch--) {
        if (request.batchSize % batch !== 0) continue;
        const none = planMemory({...request, batchSize: batch, activationMemoryMb: 0});
        if (!none.fits) continue;
        // the largest number of kept layers that still fits, within the requested budget
        const spare = none.limitBytes - none.peakBytes;
        const kept = Math.min(none.nLayer, Math.floor(spare / none.layerBytes), Math.floor(request.activationMemoryMb * 1048576 / none.layerBytes));
        const mb = Math.ceil(kept * none.layerBytes / 1048576);  // the engine keeps floor(budget / layer) layers
        const plan = planMemory({...request, batchSize: batch, activationMemoryMb: mb});
        const fitted = plan.fits ? plan : none;
        const changes = [`activation memory ${request.activationMemoryMb} -> ${fitted.activationMemoryMb} MB`];
        if (batch !== request.batchSize) changes.push(`micro-batch ${request.batchSize} -> ${batch} sequences, gradient accumulation ${request.gradAccum} -> ${request.gradAccum * request.batchSize / batch}`);
        return {...fitted, gradAccum: request.gradAccum * request.batchSize / batch, changes};
    }
    const least = planMemory({...request, batchSize: 1, activationMemoryMb: 0});
    throw new DittoError(`training needs ${gb(least.peakBytes)} GB even with a micro-batch of 1 sequence and every layer recomputed ` +
        `(weights ${gb(least.weightBytes)} GB, LoRA state ${gb(least.loraBytes)} GB, activations ${gb(least.activationBytes)} GB at --seq-len ${request.seqLen}), ` +
        `but only ${gb(least.limitBytes)} GB is free`,
        {hint: "lower --seq-len or --rank, train fewer --targets, use a smaller or more quantized model, or close other programs", code: "TRAIN_MEMORY"});
}
