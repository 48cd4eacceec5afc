import type {Command} from "commander";
import {fixtureArchitectures, fixtureSizes, fixtureTypes} from "../../fixtures/fixtureSpecs.js";
import {formatBytes} from "../../models/formatBytes.js";
import {listModels} from "../../models/listModels.js";

export function registerModelsListCommand(models: Command): void {
    models.command("list")
        .description("the model catalogue (downloaded or not), other .gguf files in the models folder, and fixture models")
        .option("--json", "print the listing as JSON")
        .option("--models-dir <dir>", "models folder (default: DITTO_MODELS or ./models)")
        .addHelpText("after", "\nExample:\n  ditto models list")
        .action((opts: {json?: boolean, modelsDir?: string}) => {
            const l = listModels({modelsDir: opts.modelsDir});
            if (opts.json) {
                console.log(JSON.stringify(l, null, 2));
                return;
            }
            const size = (b: number | null) => (b === null ? "?" : formatBytes(b));
            console.log(`models folder: ${l.dir}\n\ncatalogue (ditto models pull NAME):`);
            const w = Math.max(4, ...l.catalogue.map((e) => e.name.length));
            console.log(`  ${"name".padEnd(w)}  arch    downloaded  size`);
            for (const e of l.catalogue)
                console.log(`  ${e.name.padEnd(w)}  ${e.arch.padEnd(6)}  ${(e.downloaded ? "yes" : e.partialBytes > 0 ? "partial" : "no").padEnd(10)}  ` +
                    `${size(e.sizeBytes)}${e.partialBytes > 0 ? ` (${formatBytes(e.partialBytes)} so far; pull again to resume)` : ""}`);
            console.log("\nother .gguf files:");
            if (l.local.length === 0) console.log("  none");
            for (const f of l.local) console.log(`  ${f.file}  ${formatBytes(f.sizeBytes)}`);
            console.log("\nfixture models (random weights, made on first use):");
            for (const f of l.fixtures)
                console.log(`  ${f.ref}  ${formatBytes(f.sizeBytes)}${f.current ? "" : `  (older fixture version, no longer used: delete ${f.path})`}`);
            console.log(`  fixture:ARCH-SIZE-TYPE with ARCH ${fixtureArchitectures.join("/")}, SIZE ${fixtureSizes.join("/")}, TYPE ${fixtureTypes.join("/")}`);
        });
}
