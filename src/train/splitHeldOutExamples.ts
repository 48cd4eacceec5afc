import {Rng} from "../random/Rng.js";

/**
 * Splits examples into train and held-out sets, the same way for the same seed. The held-out
 * count is round(n * fraction), at least 1 when the fraction is > 0 and there are 2 or more
 * examples, and never all of them.
 */
export function splitHeldOutExamples<T>(examples: readonly T[], fraction: number, seed: number): {train: T[], heldOut: T[]} {
    if (fraction <= 0 || examples.length < 2) return {train: [...examples], heldOut: []};
    const count = Math.min(examples.length - 1, Math.max(1, Math.round(examples.length * fraction)));
    const order = new Rng(`${seed}:held-out-examples`).shuffle(examples.map((_, i) => i));
    const held = new Set(order.slice(0, count));
    return {train: examples.filter((_, i) => !held.has(i)), heldOut: examples.filter((_, i) => held.has(i))};
}
