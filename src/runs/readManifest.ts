import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import {manifestSchema, type Manifest} from "./manifestSchema.js";

/** The run folder's manifest.json, or undefined for a new run folder. */
export function readManifest(runDir: string): Manifest | undefined {
    const file = join(runDir, "manifest.json");
    if (!existsSync(file)) return undefined;
    let json: unknown;
    try { json = JSON.parse(readFileSync(file, "utf8")); } catch (err) {
        throw new DittoError(`${file}: not valid JSON`, {hint: "the manifest is written atomically, so it was edited by hand: restore it or start a new run folder", code: "MANIFEST_JSON", cause: err});
    }
    const res = manifestSchema.safeParse(json);
    if (!res.success) {
        const i = res.error.issues[0]!;
        throw new DittoError(`${file}: ${i.path.join(".")}: ${i.message}`, {hint: "this run folder was made by another ditto version or edited: start a new run folder", code: "MANIFEST_FIELD"});
    }
    return res.data;
}
