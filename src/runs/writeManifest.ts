import {join} from "node:path";
import type {Manifest} from "./manifestSchema.js";
import {writeTextAtomic} from "./writeJsonlAtomic.js";

/** Writes manifest.json atomically (temporary file, fsync, rename): a kill never leaves half a manifest. */
export function writeManifest(runDir: string, manifest: Manifest): void {
    manifest.updated = new Date().toISOString();
    writeTextAtomic(join(runDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
}
