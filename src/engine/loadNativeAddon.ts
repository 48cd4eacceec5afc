import {createRequire} from "node:module";
import {existsSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import {EngineError} from "./errors/EngineError.js";
import type {NativeAddon} from "./NativeAddon.js";

let cached: NativeAddon | undefined;

/**
 * The compiled addon, built by `npm ci` / `npm run build:native` into build/Release at the package
 * root. Found by walking up from this file, so it works from src/ (tsx) and dist/src/ alike.
 */
export function loadNativeAddon(): NativeAddon {
    if (cached) return cached;
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 5; i++) {
        const candidate = join(dir, "build", "Release", "ditto_engine.node");
        if (existsSync(candidate)) {
            cached = createRequire(import.meta.url)(candidate) as NativeAddon;
            return cached;
        }
        dir = dirname(dir);
    }
    throw new EngineError("addon-missing", "the native training engine (build/Release/ditto_engine.node) is not built", {
        hint: "run `npm run build:native` (needs a C++17 compiler; node-gyp works offline with the installed Node headers)"
    });
}
