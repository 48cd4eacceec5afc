import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, statSync, writeFileSync, writeSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {resolveModelRef} from "../../src/models/resolveModelRef.js";
import {fixtureDir} from "../helpers/fixtureModel.js";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import {randomPairs} from "../adapter/randomPairs.js";

// Every command that writes (the adapter merge's native writer included), against each kind of filesystem failure a user meets: a folder they
// may not write (EACCES), a file where a folder is expected (ENOTDIR, EEXIST) or the reverse
// (EISDIR), a full disk (ENOSPC), a missing input (ENOENT), a folder given as an input file.
// Each must end in `error:` + `fix:` naming the path, exit 1, print no stack trace, and leave no
// empty output folder behind.
const entry = join(import.meta.dirname, "cliEntry.ts");
const env = {...process.env, DITTO_MODELS: join(fixtureDir, "models"), DITTO_THREADS: "1"};
const root = mkdtempSync(join(tmpdir(), "ditto-fs-errors-"));
chmodSync(root, 0o755);
const asRoot = process.getuid?.() === 0;

function ditto(args: string[], options: {asUser?: boolean} = {}): {status: number | null, output: string} {
    // root may write anywhere: permission cases run as an unprivileged user there
    const uid = options.asUser && asRoot ? {uid: 65534, gid: 65534} : {};
    const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), entry, ...args], {cwd: root, env, encoding: "utf8", timeout: 300_000, ...uid});
    return {status: r.status, output: (r.stdout ?? "") + (r.stderr ?? "")};
}

// inputs the commands read (real files: a data set line, a model)
const dataset = join(root, "dataset.jsonl");
writeFileSync(dataset, JSON.stringify({messages: [{role: "system", content: "You are Ada."}, {role: "user", content: "Hi"}, {role: "assistant", content: "Hello."}]}) + "\n");
const aFile = join(root, "a-file");
writeFileSync(aFile, "not a folder\n");
const aFolder = join(root, "a-folder");
mkdirSync(aFolder);
const adapter = join(root, "adapter.gguf");
writeAdapterGguf(randomPairs("qwen2", 4, {scale: 0.1}), {arch: "qwen2", alpha: 8}, adapter);
const locked = join(root, "locked");
mkdirSync(locked);
chmodSync(locked, 0o555);

/** A small full disk (tmpfs) where this machine lets the test mount one, else undefined. */
function fullDisk(): string | undefined {
    const dir = join(root, "full");
    mkdirSync(dir);
    if (!asRoot || spawnSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir]).status !== 0) return undefined;
    const fd = openSync(join(dir, "filler"), "w");
    try { for (;;) writeSync(fd, Buffer.alloc(4096)); } catch { /* full */ } finally { closeSync(fd); }
    process.on("exit", () => spawnSync("umount", [dir]));
    return dir;
}

type Case = {errno: string, out: string, asUser?: boolean};
type Command = {name: string, kind: "folder" | "file", args: (out: string) => string[]};
const model = () => resolveModelRef("fixture:qwen2-tiny-q8_0", {modelsDir: env.DITTO_MODELS});
const commands: Command[] = [
    {name: "train", kind: "folder", args: (out) => ["train", "--recipe", "tiny", "--run", out, "--offline"]},
    {name: "generate", kind: "folder", args: (out) => ["generate", "--recipe", "tiny", "--run", out]},
    {name: "finetune", kind: "folder", args: (out) => ["finetune", "--model", model(), "--data", dataset, "--out", out]},
    {name: "dataset export", kind: "file", args: (out) => ["dataset", "export", dataset, "--out", out]},
    {name: "models fixture", kind: "file", args: (out) => ["models", "fixture", "--out", out]},
    {name: "adapter merge", kind: "file", args: (out) => ["adapter", "merge", "--model", model(), "--adapter", adapter, "--out", out]}
];

test("every writing command, every errno class: error: + fix:, exit 1, no stack trace, no empty folder left", {timeout: 1_800_000}, (t) => {
    model();
    const full = fullDisk();
    let n = 0;
    for (const c of commands) {
        const cases: Case[] = [
            {errno: "EACCES", out: join(locked, `${c.name.replace(" ", "-")}-out`, "sub"), asUser: true},
            {errno: "ENOTDIR", out: join(aFile, "out")},
            c.kind === "folder" ? {errno: "EEXIST", out: aFile} : {errno: "EISDIR", out: aFolder},
            ...(full ? [{errno: "ENOSPC", out: join(full, `${c.name.replace(" ", "-")}-out`)}] : [])
        ];
        for (const k of cases) {
            const r = ditto(c.args(k.out), {asUser: k.asUser});
            const what = `${c.name} ${k.errno}: ${c.args(k.out).join(" ")}\n${r.output}`;
            assert.equal(r.status, 1, what);
            assert.match(r.output, /^error: .+/m, what);
            assert.match(r.output, /^ {2}fix: .+/m, what);
            assert.doesNotMatch(r.output, /\n\s+at |node:internal/, `stack trace: ${what}`);
            // the path the failure is about is named (the output, or the part of it in the way)
            assert.ok([k.out, aFile, aFolder, locked, full].some((p) => p && r.output.includes(p)), `path not named: ${what}`);
            for (const dir of [k.out, join(k.out, "..")])
                if (existsSync(dir) && statSync(dir).isDirectory() && dir !== aFolder && dir !== locked && dir !== full && dir !== root)
                    assert.ok(readdirSync(dir).length > 0, `empty folder ${dir} left behind: ${what}`);
            n++;
        }
    }
    if (!full) t.diagnostic("no tmpfs could be mounted here: the ENOSPC rows were not run");
    assert.ok(n >= commands.length * 3);
});

test("a folder or a missing path given as an input file: error: + fix: naming it", {timeout: 600_000}, () => {
    const cases: string[][] = [
        ["finetune", "--model", model(), "--data", aFolder, "--out", join(root, "ft-in")],
        ["finetune", "--model", model(), "--data", join(root, "missing.jsonl"), "--out", join(root, "ft-missing")],
        ["dataset", "stats", aFolder],
        ["dataset", "export", join(root, "missing.jsonl"), "--out", join(root, "x.jsonl")],
        ["characters", "validate", aFolder],
        ["chat", "--model", model(), "--profile", aFolder],
        ["train", "--recipe", aFolder]
    ];
    for (const args of cases) {
        const r = ditto(args);
        const what = `${args.join(" ")}\n${r.output}`;
        assert.equal(r.status, 1, what);
        assert.match(r.output, /^error: .+/m, what);
        assert.match(r.output, /^ {2}fix: .+/m, what);
        assert.doesNotMatch(r.output, /\n\s+at |node:internal/, `stack trace: ${what}`);
        assert.ok(!existsSync(join(root, "ft-in")) && !existsSync(join(root, "ft-missing")), `an output folder was left behind: ${what}`);
    }
});
