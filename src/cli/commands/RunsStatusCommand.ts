import type {Command} from "commander";
import {runStatus} from "../../pipeline/runStatus.js";

export function registerRunsStatusCommand(runs: Command): void {
    runs.command("status")
        .description("where a run stands, stage by stage")
        .argument("<run>", "run folder (runs/NAME)")
        .option("--json", "print JSON")
        .addHelpText("after", "\nExample:\n  ditto runs status runs/tiny")
        .action((run: string, opts: {json?: boolean}) => {
            const s = runStatus(run);
            if (opts.json) { console.log(JSON.stringify(s, null, 2)); return; }
            console.log(`${s.runDir}${s.recipe ? ` (recipe ${s.recipe})` : ""}`);
            const mark = {done: "done   ", partial: "partial", pending: "-      "} as const;
            for (const st of s.stages) console.log(`  ${st.stage.padEnd(10)} ${mark[st.status]} ${st.detail}`);
        });
}
