import {EngineError} from "./errors/EngineError.js";
import {loadNativeAddon} from "./loadNativeAddon.js";
import type {NativeAddon} from "./NativeAddon.js";

/**
 * The compiled addon, or null where it is not built: for work that TypeScript can also do, only
 * slower (quantizing, fixture weights). A build that is there but fails to load is still an error.
 */
export function nativeAddonIfBuilt(): NativeAddon | null {
    try {
        return loadNativeAddon();
    } catch (err) {
        if (err instanceof EngineError && err.problem === "addon-missing") return null;
        throw err;
    }
}
