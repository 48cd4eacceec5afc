import type {Command} from "commander";
import {mergeShards} from "../../pipeline/mergeShards.js";

export function registerRunsMergeCommand(runs: Command): void {
    runs.command("merge")
        .description("combine the run folders of `--shard i/n` generation into one run, checking that the shards fit and do not overlap")
        .requiredOption("--out <dir>", "the merged run folder (new)")
        .argument("<shards...>", "the shard run folders")
        .addHelpText("after", "\nExample:\n  ditto runs merge --out runs/qwen-7b runs/s0 runs/s1 runs/s2 runs/s3\n  ditto train --recipe qwen-7b --run runs/qwen-7b --from sessions")
        .action((shards: string[], opts: {out: string}) => {
            const res = mergeShards(opts.out, shards);
            for (const [file, n] of Object.entries(res.counts)) console.log(`  ${file.padEnd(24)} ${n} records`);
            console.log(`merged ${shards.length} shards into ${res.outDir}; continue with: ditto train --recipe RECIPE --run ${opts.out} --from sessions`);
        });
}
