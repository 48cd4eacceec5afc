import type {MemoryPlan} from "./planMemory.js";

const gb = (bytes: number) => (bytes / 1e9).toFixed(2);

/** `plan: weights 7.70 GB, LoRA state 0.65 GB, activations 3.10 GB (recompute 20 of 28 layers), peak 12.00 GB of 22.30 GB free` */
export function formatMemoryPlan(p: MemoryPlan): string {
    return `plan: weights ${gb(p.weightBytes)} GB, LoRA state ${gb(p.loraBytes)} GB, activations ${gb(p.activationBytes)} GB ` +
        `(recompute ${p.nLayer - p.keptLayers} of ${p.nLayer} layers), peak ${gb(p.peakBytes)} GB of ${gb(p.limitBytes)} GB free`;
}
