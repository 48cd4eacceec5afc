import {readFileSync} from "node:fs";
import {dirname, resolve} from "node:path";
import {fileURLToPath} from "node:url";

/** ditto's version from its package.json, for manifests. */
export function toolVersion(): string {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", ...(import.meta.url.includes("/dist/") ? [".."] : []));
    try { return (JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {version: string}).version; } catch { return "unknown"; }
}
