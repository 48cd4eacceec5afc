import {loraTargets} from "./TrainEngine.js";
import type {LoraTarget} from "./TrainEngine.js";

/** Bit mask of LoRA targets for the native side: bit i = loraTargets[i] (the C API's DITTO_TARGET_* order). */
export function targetMask(targets: readonly LoraTarget[]): number {
    let mask = 0;
    for (const t of targets) mask |= 1 << loraTargets.indexOf(t);
    return mask;
}
