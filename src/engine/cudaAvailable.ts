import {loadNativeAddon} from "./loadNativeAddon.js";

/**
 * Whether `device: "auto"` will train on a CUDA GPU here: the CUDA engine is built and a usable GPU
 * is present. False when the addon itself is missing (the engine's open reports that).
 */
export function cudaAvailable(): boolean {
    try {
        return loadNativeAddon().cudaProbe(false).available;
    } catch {
        return false;
    }
}
