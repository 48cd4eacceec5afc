import {existsSync, statSync} from "node:fs";
import {join} from "node:path";
import {readJsonl} from "../runs/readJsonl.js";
import {writeJsonlAtomic} from "../runs/writeJsonlAtomic.js";
import {sharegptLine} from "./sharegptLine.js";
import {trainingExampleSchema} from "./trainingExampleSchema.js";

export const exportFormats = ["sharegpt", "openai"] as const;
export type ExportFormat = typeof exportFormats[number];

/** Writes a run's dataset.jsonl (or a dataset file) in another format; returns the number of lines. */
export function exportDataset(runOrFile: string, format: ExportFormat, out: string): number {
    const file = existsSync(runOrFile) && statSync(runOrFile).isDirectory() ? join(runOrFile, "dataset.jsonl") : runOrFile;
    const examples = readJsonl(file, trainingExampleSchema);
    switch (format) {
        case "sharegpt": writeJsonlAtomic(out, examples.map(sharegptLine)); break;
        case "openai": writeJsonlAtomic(out, examples); break;
        default: {
            const never: never = format;
            throw new Error(`unknown format ${String(never)}`);
        }
    }
    return examples.length;
}
