import type {Command} from "commander";
import {collectDoctorReport} from "../../runtime/collectDoctorReport.js";
import {runtimeOptions} from "./runtimeOptions.js";

export function registerDoctorCommand(program: Command): void {
    runtimeOptions.add(program.command("doctor")
        .description("check this machine: Node, llama.cpp backend, GPU and VRAM, threads, models, disk, training engine")
        .option("--json", "print the checks as JSON")
        .option("--models-dir <dir>", "models folder (default: DITTO_MODELS or ./models)"), ["gpu", "threads", "offline"])
        .addHelpText("after", "\nExample:\n  ditto doctor --gpu auto")
        .action(async (opts: {json?: boolean, modelsDir?: string, gpu?: string, threads?: string, offline?: boolean}) => {
            const rt = runtimeOptions.read(opts);
            const checks = await collectDoctorReport({...rt, modelsDir: opts.modelsDir});
            if (opts.json) {
                console.log(JSON.stringify({checks}, null, 2));
            } else {
                const width = Math.max(...checks.map((c) => c.name.length));
                for (const c of checks) {
                    console.log(`${c.status === "ok" ? " ok " : c.status === "warn" ? "warn" : "FAIL"}  ${c.name.padEnd(width)}  ${c.value}`);
                    if (c.hint) console.log(`      ${"".padEnd(width)}  fix: ${c.hint}`);
                }
            }
            if (checks.some((c) => c.status === "fail")) process.exitCode = 1;
        });
}
