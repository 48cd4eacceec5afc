import {Command} from "commander";
import {DittoError} from "../errors/DittoError.js";
import {registerCommands} from "./registerCommands.js";
import {toolVersion} from "../runs/toolVersion.js";

/** Entry point of the `ditto` command. User errors print one clear message and exit 1. */
export async function main(argv: string[]): Promise<void> {
    const program = new Command();
    program
        .name("ditto")
        .description("Teach an open-weights model to role-play any character by self-alignment (Ditto), offline.")
        .version(toolVersion(), "-V, --version")
        .showHelpAfterError()
        .exitOverride();
    registerCommands(program);
    try {
        await program.parseAsync(argv);
    } catch (err) {
        process.exitCode = reportError(err);
    }
}

function reportError(err: unknown): number {
    if (err instanceof Error && "code" in err && typeof (err as {code: unknown}).code === "string" &&
        String((err as {code: string}).code).startsWith("commander.")) {
        const code = (err as {code: string, exitCode?: number}).code;
        if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help")
            return 0;
        return (err as {exitCode?: number}).exitCode ?? 1;
    }
    if (err instanceof DittoError) {
        console.error(`error: ${err.message}`);
        if (err.hint) console.error(`  fix: ${err.hint}`);
        if (process.env.DITTO_DEBUG && err.cause) console.error(err.cause);
        return 1;
    }
    console.error(err);
    return 2;
}
