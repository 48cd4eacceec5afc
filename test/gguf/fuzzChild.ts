// Runs every reader of GGUF files over the fuzz corpus in one process and prints one JSON line per
// (file, reader): "ok" (accepted), "named" (a DittoError naming a file, with a fix) or "unnamed"
// (anything else: a plain Error, a stack trace, an exit code other than 0 or 1). A crash or hang
// shows as missing lines; "start" lines tell the parent which file was being read.
// argv: corpus dir, valid base model, valid adapter
import {readdirSync} from "node:fs";
import {join} from "node:path";
import {readGgufHeader} from "../../src/gguf/readGgufHeader.js";
import {openEngine} from "../../src/engine/openEngine.js";
import {main} from "../../src/cli/main.js";
import {DittoError} from "../../src/errors/DittoError.js";

const [dir, baseModel, adapter] = process.argv.slice(2) as [string, string, string];
type Outcome = {outcome: "ok" | "named" | "unnamed", detail: string};

function classify(error: unknown, paths: string[]): Outcome {
    if (error instanceof DittoError && paths.some((p) => error.message.includes(p)) && (error.hint ?? "").length > 0)
        return {outcome: "named", detail: error.message};
    return {outcome: "unnamed", detail: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error)};
}

async function cli(args: string[], paths: string[]): Promise<Outcome> {
    const lines: string[] = [];
    const {log, error} = console;
    console.log = () => {};
    console.error = (...a: unknown[]) => { lines.push(a.map((x) => (x instanceof Error ? String(x.stack) : String(x))).join(" ")); };
    process.exitCode = 0;
    try {
        await main(["node", "ditto", ...args]);
    } finally {
        console.log = log;
        console.error = error;
    }
    const code = process.exitCode ?? 0;
    process.exitCode = 0;
    const text = lines.join("\n");
    if (code === 0) return {outcome: "ok", detail: ""};
    const named = code === 1 && /^error: /m.test(text) && paths.some((p) => text.includes(p)) && /^ {2}fix: /m.test(text) && !/\n\s+at /.test(text);
    return {outcome: named ? "named" : "unnamed", detail: `exit ${String(code)}: ${text}`};
}

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + "\n");
for (const name of readdirSync(dir).filter((n) => n.endsWith(".gguf")).sort()) {
    const file = join(dir, name);
    emit({file: name, reader: "start"});
    const results: Record<string, Outcome> = {};
    try { readGgufHeader(file); results.reader = {outcome: "ok", detail: ""}; } catch (e) { results.reader = classify(e, [file]); }
    results.inspect = await cli(["models", "inspect", file], [file]);
    try {
        const engine = await openEngine({modelPath: file, lora: {rank: 2, alpha: 4, dropout: 0, targets: ["q", "v", "down"]}, threads: 2, seed: 1});
        engine.close();
        results.engine = {outcome: "ok", detail: ""};
    } catch (e) {
        results.engine = classify(e, [file]);
    }
    results.checkModel = await cli(["adapter", "check", "--model", file, "--adapter", adapter], [file, adapter]);
    results.checkAdapter = await cli(["adapter", "check", "--model", baseModel, "--adapter", file], [file, baseModel]);
    for (const [reader, r] of Object.entries(results)) emit({file: name, reader, ...r});
}
emit({done: true});
