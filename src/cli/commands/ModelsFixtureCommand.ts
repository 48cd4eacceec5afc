import type {Command} from "commander";
import {DittoError} from "../../errors/DittoError.js";
import {makeFixtureModel} from "../../fixtures/makeFixtureModel.js";
import {fixtureArchitectures, fixtureSizes, fixtureTypes, FixtureArch, FixtureSize, FixtureType} from "../../fixtures/fixtureSpecs.js";

export function registerModelsFixtureCommand(models: Command): void {
    models.command("fixture")
        .description("write a random-weight GGUF model of a real architecture, with the real Qwen tokenizer (for tests, benchmarks and the offline demo)")
        .option("--arch <arch>", `architecture: ${fixtureArchitectures.join(", ")}`, "qwen2")
        .option("--size <size>", `size: ${fixtureSizes.join(", ")}`, "tiny")
        .option("--type <type>", `weight type: ${fixtureTypes.join(", ")}`, "f16")
        .option("--seed <n>", "random seed (same seed, same bytes)", "1")
        .requiredOption("--out <file>", "where to write the .gguf")
        .addHelpText("after", "\nExample:\n  ditto models fixture --arch qwen2 --size tiny --type f16 --out models/tiny-qwen2.gguf")
        .action((opts: {arch: string, size: string, type: string, seed: string, out: string}) => {
            const check = <T extends string>(name: string, value: string, allowed: readonly T[]): T => {
                if (!(allowed as readonly string[]).includes(value))
                    throw new DittoError(`--${name} ${value} is not one of ${allowed.join(", ")}`, {hint: `use --${name} ${allowed[0]}`});
                return value as T;
            };
            const seed = Number(opts.seed);
            if (!Number.isInteger(seed)) throw new DittoError(`--seed ${opts.seed} is not an integer`, {hint: "use --seed 1"});
            const started = Date.now();
            const res = makeFixtureModel({
                arch: check<FixtureArch>("arch", opts.arch, fixtureArchitectures),
                size: check<FixtureSize>("size", opts.size, fixtureSizes),
                type: check<FixtureType>("type", opts.type, fixtureTypes),
                out: opts.out, seed
            });
            console.log(`wrote ${res.path} (${(res.parameters / 1e6).toFixed(1)}M parameters) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });
}
