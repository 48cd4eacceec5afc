import {test} from "node:test";
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {mkdtempSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {fixtureModel} from "../helpers/fixtureModel.js";

test("ditto chat with piped stdin: Ctrl-C (SIGINT) stops the reply, not the session", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ditto-chat-cli-"));
    const saved = join(dir, "after-stop.json");
    // a long reply (the random tiny model never stops by itself) so the signal lands mid-reply
    const child = spawn(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "chat", "--model", fixtureModel("qwen2", "q8_0"),
        "--character", "Ada Lovelace", "--gpu", "cpu", "--threads", "2", "--max-tokens", "100000", "--context-size", "1024", "--seed", "1"],
        {stdio: ["pipe", "pipe", "pipe"]});
    let out = "", err = "";
    child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let interrupted = false, continued = false;
    child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        // once the reply streams (any text after the speaker's name), interrupt it, then keep chatting
        if (!interrupted && /Ada Lovelace> [\s\S]/.test(out)) {
            interrupted = true;
            child.kill("SIGINT");
        }
        if (!continued && out.includes("[stopped]")) {
            continued = true;
            child.stdin.write(`/help\n/save ${saved}\n/quit\n`);
        }
    });
    child.stdin.write("Tell me everything.\n");
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 0, `exit code; stderr: ${err}\nstdout: ${out.slice(-500)}`);
    assert.match(out, /\[stopped\]\nyou> commands:/, "the session goes on after the stopped reply");
    assert.match(out, /\(saved \d turn\(s\)/);
    assert.match(out, /bye\n$/);
    const session = JSON.parse(readFileSync(saved, "utf8")) as {messages: {role: string}[]};
    assert.equal(session.messages[0]!.role, "system");
});

test("ditto chat needs exactly one of --character and --profile", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "chat", "--model", fixtureModel("qwen2", "q8_0")], {stdio: ["ignore", "pipe", "pipe"]});
    let err = "";
    child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 1);
    assert.match(err, /error: give exactly one of --character NAME and --profile FILE/);
});
