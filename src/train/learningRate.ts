import type {FinetuneOptions} from "./finetuneOptions.js";

/**
 * Learning rate for optimizer step `step` (0-based) of `totalSteps`: linear warm-up from lr/W to
 * lr over the first W steps, then either constant or a half cosine down to lr * minLrRatio at
 * the last step. Warm-up is given as a fraction of all steps (< 1) or as a step count.
 */
export function learningRate(step: number, totalSteps: number, o: Pick<FinetuneOptions, "lr" | "warmup" | "schedule" | "minLrRatio">): number {
    const warmupSteps = o.warmup < 1 ? Math.round(o.warmup * totalSteps) : Math.min(o.warmup, totalSteps);
    if (step < warmupSteps) return o.lr * (step + 1) / warmupSteps;
    switch (o.schedule) {
        case "constant":
            return o.lr;
        case "cosine": {
            const span = totalSteps - warmupSteps - 1;
            const progress = span > 0 ? Math.min(1, (step - warmupSteps) / span) : 1;
            const floor = o.lr * o.minLrRatio;
            return floor + (o.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
        }
        default: {
            const never: never = o.schedule;
            throw new Error(`unknown schedule ${String(never)}`);
        }
    }
}
