import {main} from "../../src/cli/main.js";

/**
 * Runs `ditto ARGS` in this process (no tsx start-up per call, the llama.cpp binding is shared)
 * and returns the exit code and what it printed. The CLI prints through console.log / console.error.
 */
export async function ditto(args: string[]): Promise<{code: number, stdout: string, stderr: string}> {
    const out: string[] = [], err: string[] = [];
    const {log, error} = console;
    const before = process.exitCode;
    process.exitCode = undefined;
    console.log = (...a: unknown[]) => { out.push(a.map(String).join(" ")); };
    console.error = (...a: unknown[]) => { err.push(a.map(String).join(" ")); };
    try {
        await main(["node", "ditto", ...args]);
    } finally {
        console.log = log;
        console.error = error;
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = before;
    return {code, stdout: out.join("\n"), stderr: err.join("\n")};
}
