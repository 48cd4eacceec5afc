import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {DittoError} from "../errors/DittoError.js";

/** The base model file the run's adapter was trained on (train/train.json), or undefined when not required and the run has none. */
export function trainedBaseModel(runDir: string, options: {required: boolean}): string | undefined {
    const path = join(runDir, "train", "train.json");
    if (!existsSync(path)) {
        if (!options.required) return undefined;
        throw new DittoError(`${path} not found: the run has no trained adapter yet`, {hint: `run \`ditto train --run ${runDir}\` (or ditto finetune --out ${join(runDir, "train")}) first`, code: "EXPORT_NO_ADAPTER"});
    }
    let modelPath: unknown;
    try { modelPath = (JSON.parse(readFileSync(path, "utf8")) as {options?: {modelPath?: unknown}}).options?.modelPath; } catch { modelPath = undefined; }
    if (typeof modelPath !== "string") {
        if (!options.required) return undefined;
        throw new DittoError(`${path}: no options.modelPath (the base model)`, {hint: "train the adapter again with this version of ditto", code: "EXPORT_NO_ADAPTER"});
    }
    return modelPath;
}
