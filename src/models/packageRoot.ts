import {dirname, resolve} from "node:path";
import {fileURLToPath} from "node:url";

/** The ditto package folder (holds models/catalogue.yaml and build/Release), from src/ or dist/src/. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..",
    ...(import.meta.url.includes("/dist/") ? [".."] : []));
