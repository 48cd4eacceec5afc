import {basename, dirname} from "node:path";

/**
 * The model name an adapter is served under: `NAME=PATH` names it; a run's adapter
 * (runs/NAME/train/adapter.gguf) is called after its run; any other file after itself.
 */
export function adapterName(spec: string): {name: string, path: string} {
    const eq = spec.indexOf("=");
    if (eq > 0 && !spec.slice(0, eq).includes("/")) return {name: spec.slice(0, eq), path: spec.slice(eq + 1)};
    const file = basename(spec);
    if (file === "adapter.gguf" && basename(dirname(spec)) === "train") return {name: basename(dirname(dirname(spec))), path: spec};
    return {name: file.replace(/\.gguf$/i, ""), path: spec};
}
