import {test} from "node:test";
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import {createHash} from "node:crypto";
import {mkdtempSync, readFileSync} from "node:fs";
import {createServer} from "node:http";
import type {AddressInfo} from "node:net";
import {tmpdir} from "node:os";
import {join} from "node:path";

test("ditto models pull downloads from a Hugging Face stand-in and prints the verified sha256", async () => {
    const body = Buffer.alloc(50_000, 7);
    const sha = createHash("sha256").update(body).digest("hex");
    const server = createServer((req, res) => {
        if (req.url === "/o/r/resolve/main/m.gguf") res.writeHead(200, {"content-length": body.length}).end(body);
        else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const out = mkdtempSync(join(tmpdir(), "ditto-pull-cli-"));
    try {
        // async spawn: the loopback server lives in this process and must keep answering
        const child = spawn(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "models", "pull", "hf:o/r/m.gguf", "--out", out, "--sha256", sha],
            {env: {...process.env, HF_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, DITTO_OFFLINE: ""}});
        let stdout = "", stderr = "";
        child.stdout.on("data", (d: Buffer) => { stdout += d; });
        child.stderr.on("data", (d: Buffer) => { stderr += d; });
        const code = await new Promise<number | null>((ok) => child.on("close", ok));
        assert.equal(code, 0, stderr);
        assert.ok(readFileSync(join(out, "m.gguf")).equals(body));
        assert.match(stdout, new RegExp(`sha256 ${sha} \\(verified against the --sha256 value\\)`));
        assert.match(stderr, /100% /, "progress lines when not on a terminal");
    } finally {
        server.close();
    }
});
