import {hashString} from "../random/Rng.js";

/**
 * The sampling seed of one model call, from the run seed and the record id (never from call order),
 * so a resumed run asks the model exactly what an uninterrupted run would have asked.
 */
export function seedFor(runSeed: number, id: string, sample = 0): number {
    return hashString(`${runSeed}\u0000${id}\u0000${sample}`);
}
