import {Command} from "commander";
import {DittoError} from "../errors/DittoError.js";
import {registerCommands} from "./registerCommands.js";
import {toolVersion} from "../runs/toolVersion.js";
import {fileSystemError} from "../errors/fileSystemError.js";
import {outputDirs} from "../runs/outputDirs.js";

/** Entry point of the `ditto` command. User errors print one clear message and exit 1. */
export async function main(argv: string[]): Promise<void> {
    const program = new Command();
    program
        .name("ditto")
        .description("Teach an open-weights model to role-play any character by self-alignment (Ditto), offline.")
        .version(toolVersion(), "-V, --version")
        .showHelpAfterError()
        .exitOverride()
        // defaults and choices as a user types them (default: 512, choices: bar, log, none), not as JSON strings
        .configureHelp({optionDescription: (option) => {
            const extra: string[] = [];
            if (option.argChoices) extra.push(`choices: ${option.argChoices.join(", ")}`);
            if (option.defaultValue !== undefined && (option.required || option.optional))
                extra.push(`default: ${option.defaultValueDescription ?? (Array.isArray(option.defaultValue) ? option.defaultValue.join(",") : String(option.defaultValue))}`);
            return extra.length > 0 ? `${option.description} (${extra.join(", ")})` : option.description;
        }});
    registerCommands(program);
    try {
        await program.parseAsync(argv);
    } catch (err) {
        outputDirs.removeEmpty();
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
    err = fileSystemError(err) ?? err;
    if (err instanceof DittoError) {
        console.error(`error: ${err.message}`);
        if (err.hint) console.error(`  fix: ${err.hint}`);
        if (process.env.DITTO_DEBUG && err.cause) console.error(err.cause);
        return 1;
    }
    // not a user error but a bug: one line, not a stack trace (DITTO_DEBUG=1 shows it)
    console.error(`error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    console.error("  fix: this is a bug in ditto: run again with DITTO_DEBUG=1 for the stack trace and report it");
    if (process.env.DITTO_DEBUG) console.error(err);
    return 2;
}
