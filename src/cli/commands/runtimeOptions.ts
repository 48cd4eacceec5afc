import {Option, type Command} from "commander";
import {DittoError} from "../../errors/DittoError.js";
import {gpuChoices, type GpuChoice} from "../../runtime/openLlama.js";

export type RuntimeOptionName = "gpu" | "threads" | "offline" | "progress";
export type ProgressChoice = "bar" | "log" | "none";

/** The parsed form of the shared options; absent ones are undefined (the library's defaults apply). */
export type RuntimeOptions = {gpu: GpuChoice, threads?: number, offline: boolean, progress?: ProgressChoice};

/**
 * The options every command that runs a model or touches the network takes, spelled and checked
 * the same way everywhere: `--gpu auto|cuda|vulkan|metal|cpu`, `--threads N`, `--offline`, `--progress MODE`.
 * Add them with `runtimeOptions.add(cmd, [...])`, read them with `runtimeOptions.read(opts)`.
 */
export const runtimeOptions = {
    add(cmd: Command, names: RuntimeOptionName[]): Command {
        if (names.includes("gpu"))
            cmd.addOption(new Option("--gpu <backend>", "llama.cpp backend").choices([...gpuChoices]).default("auto"));
        if (names.includes("threads"))
            cmd.option("--threads <n>", "CPU threads (default: physical cores, never more; env DITTO_THREADS)");
        if (names.includes("offline"))
            cmd.option("--offline", "forbid any network use (same as DITTO_OFFLINE=1)");
        if (names.includes("progress")) {
            cmd.addOption(new Option("--progress <mode>", "progress display (default: bar on a terminal, else log lines)").choices(["bar", "log", "none"]));
            // the older spelling of --progress none
            cmd.addOption(new Option("--quiet", "same as --progress none").hideHelp());
        }
        return cmd;
    },
    /** also sets DITTO_OFFLINE=1 for --offline, so every later network check sees it */
    read(opts: {gpu?: string, threads?: string, offline?: boolean, progress?: string, quiet?: boolean}): RuntimeOptions {
        let threads: number | undefined;
        if (opts.threads !== undefined) {
            threads = Number(opts.threads);
            if (!Number.isInteger(threads) || threads < 1)
                throw new DittoError(`--threads ${opts.threads} is not a positive whole number`, {hint: "use e.g. --threads 4, or leave it out to use the physical cores", code: "CLI_OPTION"});
        }
        if (opts.offline) process.env.DITTO_OFFLINE = "1";
        const progress = opts.quiet ? "none" : opts.progress as ProgressChoice | undefined;
        return {gpu: (opts.gpu ?? "auto") as GpuChoice, threads, offline: opts.offline ?? false, ...(progress ? {progress} : {})};
    }
};
