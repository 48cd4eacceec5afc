import {existsSync, mkdirSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {makeFixtureModel} from "../../src/fixtures/makeFixtureModel.js";
import {FIXTURE_VERSION, type FixtureArch, type FixtureSize, type FixtureType} from "../../src/fixtures/fixtureSpecs.js";

/** Folder shared by all test files for generated fixture models (deterministic, so safe to reuse). */
export const fixtureDir = process.env.DITTO_FIXTURE_DIR ?? join(tmpdir(), "ditto-test-fixtures");

/** Path of a fixture model, generated on first use. */
export function fixtureModel(arch: FixtureArch = "qwen2", type: FixtureType = "f16", size: FixtureSize = "tiny", seed = 1): string {
    mkdirSync(fixtureDir, {recursive: true});
    const path = join(fixtureDir, `${size}-${arch}-${type}-s${seed}-v${FIXTURE_VERSION}.gguf`);
    if (!existsSync(path)) makeFixtureModel({arch, size, type, out: path, seed});
    return path;
}
