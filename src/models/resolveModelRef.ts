import {existsSync} from "node:fs";
import {isAbsolute, join, resolve} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import {makeFixtureModel} from "../fixtures/makeFixtureModel.js";
import {FIXTURE_VERSION, fixtureArchitectures, fixtureSizes, fixtureTypes, type FixtureArch, type FixtureSize, type FixtureType} from "../fixtures/fixtureSpecs.js";
import {loadCatalogue, modelsDir} from "./catalogue.js";

/**
 * A recipe's model reference to a local file:
 * - `fixture:ARCH-SIZE-TYPE` (e.g. fixture:qwen2-tiny-q8_0): made on first use in models/fixtures/;
 * - a catalogue name: models/<file>, which must already be there (never downloaded silently);
 * - a path to a .gguf (relative to `baseDir`, default the working directory).
 */
export function resolveModelRef(ref: string, options: {baseDir?: string, modelsDir?: string} = {}): string {
    const dir = modelsDir(options.modelsDir);
    if (ref.startsWith("fixture:")) {
        const m = /^fixture:([a-z0-9]+)-(tiny|wide|bench-0\.5b|bench-7b)-([a-z0-9_]+)$/.exec(ref);
        if (!m || !(fixtureArchitectures as readonly string[]).includes(m[1]!) || !(fixtureTypes as readonly string[]).includes(m[3]!))
            throw new DittoError(`model "${ref}" is not a fixture name`, {
                hint: `use fixture:ARCH-SIZE-TYPE with ARCH in ${fixtureArchitectures.join("/")}, SIZE in ${fixtureSizes.join("/")}, TYPE in ${fixtureTypes.join("/")}, e.g. fixture:qwen2-tiny-q8_0`,
                code: "MODEL_REF"});
        const path = join(dir, "fixtures", `${m[2]}-${m[1]}-${m[3]}-v${FIXTURE_VERSION}.gguf`);
        if (!existsSync(path))
            makeFixtureModel({arch: m[1] as FixtureArch, size: m[2] as FixtureSize, type: m[3] as FixtureType, out: path});
        return path;
    }
    if (/[\\/]|\.gguf$/i.test(ref)) {
        const path = isAbsolute(ref) ? ref : resolve(options.baseDir ?? ".", ref);
        if (!existsSync(path))
            throw new DittoError(`model file ${path} not found`, {hint: "check the path in the recipe (paths are relative to the recipe file)", code: "MODEL_MISSING"});
        return path;
    }
    const entry = loadCatalogue(dir).find((e) => e.name === ref);
    if (!entry)
        throw new DittoError(`model "${ref}" is not in the catalogue, and is not a path or fixture name`, {
            hint: "see `ditto models list` for names, or give a path to a .gguf file", code: "MODEL_REF"});
    const path = join(dir, entry.file);
    if (!existsSync(path))
        throw new DittoError(`model "${ref}" is not downloaded (expected ${path})`, {
            hint: `run \`ditto models pull ${ref}\` (on a connected machine for air-gapped use, then copy ${dir} over)`, code: "MODEL_MISSING"});
    return path;
}
