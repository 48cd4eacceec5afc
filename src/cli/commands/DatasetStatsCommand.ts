import type {Command} from "commander";
import {datasetStats} from "../../dataset/datasetStats.js";
import {formatDatasetStats} from "../../dataset/formatDatasetStats.js";

export function registerDatasetStatsCommand(dataset: Command): void {
    dataset.command("stats")
        .description("characters, sessions, turns, tokens, languages and drops by reason of a run's data set")
        .argument("<run>", "run folder")
        .option("--json", "print JSON")
        .addHelpText("after", "\nExample:\n  ditto dataset stats runs/first")
        .action((run: string, opts: {json?: boolean}) => {
            const s = datasetStats(run);
            console.log(opts.json ? JSON.stringify(s, null, 2) : formatDatasetStats(s));
        });
}
