import {existsSync, readdirSync, statSync} from "node:fs";
import {join, relative} from "node:path";
import {FIXTURE_VERSION} from "../fixtures/fixtureSpecs.js";
import {loadCatalogue, modelsDir} from "./catalogue.js";

export type ModelListing = {
    dir: string,
    /** every catalogue entry, downloaded or not */
    catalogue: {name: string, file: string, repo: string, arch: string, path: string, downloaded: boolean,
        /** on-disk size when downloaded, else the catalogue's size */
        sizeBytes: number | null,
        /** bytes of an unfinished download (FILE.partial), 0 if none */
        partialBytes: number, sha256Known: boolean}[],
    /** other .gguf files in the models folder (not fixtures, not in the catalogue) */
    local: {file: string, path: string, sizeBytes: number}[],
    /** fixture models already made in models/fixtures/, with the reference recipes use */
    fixtures: {ref: string, path: string, sizeBytes: number,
        /** false: made by an older fixture generator; `fixture:` refs no longer use it, so it can be deleted */
        current: boolean}[]
};

/** What is in the models folder, against the catalogue: the data behind `ditto models list`. */
export function listModels(options: {modelsDir?: string} = {}): ModelListing {
    const dir = modelsDir(options.modelsDir);
    const catalogue = loadCatalogue(dir).map((e) => {
        const path = join(dir, e.file);
        const downloaded = existsSync(path);
        const partial = path + ".partial";
        return {name: e.name, file: e.file, repo: e.repo, arch: e.arch, path, downloaded,
            sizeBytes: downloaded ? statSync(path).size : e.size_bytes ?? null,
            partialBytes: existsSync(partial) ? statSync(partial).size : 0, sha256Known: e.sha256 !== null};
    });
    const known = new Set(catalogue.map((e) => e.path));
    const fixturesDir = join(dir, "fixtures");
    const local: ModelListing["local"] = [];
    const fixtures: ModelListing["fixtures"] = [];
    for (const path of ggufFiles(dir)) {
        if (known.has(path)) continue;
        const sizeBytes = statSync(path).size;
        // resolveModelRef writes fixture:ARCH-SIZE-TYPE to fixtures/SIZE-ARCH-TYPE-vVERSION.gguf (no -v: before versioning)
        const m = /^(tiny|wide|bench-0\.5b|bench-7b)-([a-z0-9]+)-([a-z0-9_]+?)(?:-v(\d+))?\.gguf$/.exec(relative(fixturesDir, path));
        if (m) fixtures.push({ref: `fixture:${m[2]}-${m[1]}-${m[3]}`, path, sizeBytes, current: Number(m[4] ?? 0) === FIXTURE_VERSION});
        else local.push({file: relative(dir, path), path, sizeBytes});
    }
    return {dir, catalogue, local, fixtures};
}

/** .gguf files under `dir`, two levels deep (models/ and models/SUBFOLDER/), sorted. */
function ggufFiles(dir: string, depth = 0): string[] {
    if (!existsSync(dir) || depth > 1) return [];
    const out: string[] = [];
    for (const entry of readdirSync(dir, {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name))) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) out.push(...ggufFiles(path, depth + 1));
        else if (entry.name.toLowerCase().endsWith(".gguf")) out.push(path);
    }
    return out;
}
