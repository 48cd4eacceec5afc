import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {Command} from "commander";
import {registerCommands} from "../../src/cli/registerCommands.js";
import {main} from "../../src/cli/main.js";

// Walks every command's --help as a user reads it, and checks every `ditto ...` line the help and
// the README show against the real commands: the subcommand exists and every --option is one it takes.
function program(): Command {
    const p = new Command().name("ditto").exitOverride();
    registerCommands(p);
    return p;
}

function leaves(cmd: Command, path: string[] = []): {path: string[], cmd: Command}[] {
    return cmd.commands.length === 0 ? [{path, cmd}] : cmd.commands.flatMap((c) => leaves(c, [...path, c.name()]));
}

/** The full help text, as `ditto ... --help` prints it (main's help settings included). */
async function helpOf(path: string[]): Promise<string> {
    let out = "";
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as typeof process.stdout.write;
    try { await main(["node", "ditto", ...path, "--help"]); } finally { process.stdout.write = write; }
    process.exitCode = 0;
    return out;
}

/** `ditto a b --x v ...` -> the command it names and the long options it uses; undefined when it is no known command. */
function check(line: string, root: Command): string | undefined {
    const words = [...line.matchAll(/"[^"]*"|'[^']*'|\S+/g)].map((m) => m[0]).filter((w) => w !== "\\");
    let cmd = root;
    let i = 1;
    for (let sub = cmd.commands.find((c) => c.name() === words[i]); sub; sub = cmd.commands.find((c) => c.name() === words[i])) { cmd = sub; i++; }
    if (cmd === root) return `${line}: no such command`;
    if (cmd.commands.length > 0) return `${line}: "${cmd.name()}" needs a subcommand`;
    const known = new Set([...cmd.options.map((o) => o.long), "--help"]);
    for (const w of words.slice(i)) {
        if (w === "#") break;
        const opt = w.split("=")[0]!;
        if (opt.startsWith("--") && !known.has(opt)) return `${line}: ${cmd.name()} has no option ${opt}`;
    }
    return undefined;
}

const modelCommands = ["train", "generate", "eval", "chat", "finetune", "characters elicit"];

test("every command's --help: an example naming the command, defaults as values, no unknown options in examples", async () => {
    const root = program();
    const problems: string[] = [];
    const all = leaves(root);
    assert.ok(all.length >= 20, `only ${all.length} commands found`);
    for (const {path} of all) {
        const help = await helpOf(path);
        const name = path.join(" ");
        if (!/Examples?:/.test(help)) problems.push(`${name}: no example`);
        const examples = help.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("ditto "));
        if (!examples.some((l) => l.startsWith(`ditto ${name}`))) problems.push(`${name}: no example of \`ditto ${name}\``);
        for (const l of examples) { const p = check(l.replace(/\s+#.*$/, ""), root); if (p) problems.push(p); }
        if (/\(default: "|default: "/.test(help)) problems.push(`${name}: a default printed as a quoted string`);
        if (/--quiet/.test(help)) problems.push(`${name}: --quiet (the option is --progress none)`);
        if (modelCommands.includes(name))
            for (const opt of ["--threads", "--offline"]) if (!help.includes(opt)) problems.push(`${name}: runs a model but has no ${opt}`);
    }
    assert.deepEqual(problems, []);
});

test("every `ditto` command the README shows names a real command and real options", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    const blocks = [...readme.matchAll(/```(?:sh|bash)?\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const lines = blocks.flatMap((b) => b.split("\n")).map((l) => l.replace(/^\$ /, "").replace(/^npm ci && /, "").replace(/^npx /, "").trim())
        .filter((l) => l.startsWith("ditto "));
    assert.ok(lines.length >= 10, `only ${lines.length} commands found in the README`);
    const root = program();
    const problems = lines.map((l) => check(l.replace(/\s+#.*$/, ""), root)).filter((p): p is string => p !== undefined);
    assert.deepEqual(problems, []);
});
