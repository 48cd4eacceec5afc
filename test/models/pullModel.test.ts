import {after, before, beforeEach, test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {createHash} from "node:crypto";
import {existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from "node:fs";
import {createServer, type IncomingMessage, type Server, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {hostname, tmpdir} from "node:os";
import {join} from "node:path";
import {pullModel} from "../../src/models/pullModel.js";
import {resolvePullSource} from "../../src/models/resolvePullSource.js";
import {DittoError} from "../../src/errors/DittoError.js";

// A loopback stand-in for Hugging Face: the "hub" answers /OWNER/REPO/resolve/main/FILE with a 302
// to a second server, the "cdn", which serves the bytes with Range support. Two ports = two hosts,
// so the test can see that HF_TOKEN goes to the hub only.
const body = Buffer.alloc(300_000);
for (let i = 0; i < body.length; i++) body[i] = (i * 2654435761) >>> 24;
const bodySha = createHash("sha256").update(body).digest("hex");

type Seen = {server: "hub" | "cdn", url: string, range?: string, auth?: string};
let seen: Seen[] = [];
/** cdn behaviour for the next requests */
let cdn = {dropAfter: [] as number[], ignoreRange: false, linkedEtag: null as string | null};
let hub: Server, cdnServer: Server, hubUrl = "", cdnUrl = "";

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<[Server, string]> {
    const server = createServer(handler);
    return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok([server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`])));
}

before(async () => {
    [hub, hubUrl] = await listen((req, res) => {
        seen.push({server: "hub", url: req.url!, range: req.headers.range, auth: req.headers.authorization});
        if (req.url === "/gated/model/resolve/main/model.gguf" && req.headers.authorization !== "Bearer good-token") {
            res.writeHead(401).end("gated");
            return;
        }
        const m = /^\/(?:owner\/repo|gated\/model)\/resolve\/main\/(model\.gguf)$/.exec(req.url!);
        if (!m) { res.writeHead(404).end("Entry not found"); return; }
        const headers: Record<string, string> = {location: `${cdnUrl}/blobs/${m[1]}`};
        if (cdn.linkedEtag) headers["x-linked-etag"] = `"${cdn.linkedEtag}"`;
        res.writeHead(302, headers).end();
    });
    [cdnServer, cdnUrl] = await listen((req, res) => {
        seen.push({server: "cdn", url: req.url!, range: req.headers.range, auth: req.headers.authorization});
        const r = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
        let start = r && !cdn.ignoreRange ? Number(r[1]) : 0;
        if (start >= body.length && r) {
            res.writeHead(416, {"content-range": `bytes */${body.length}`}).end();
            return;
        }
        if (start > 0) res.writeHead(206, {"content-range": `bytes ${start}-${body.length - 1}/${body.length}`, "content-length": body.length - start});
        else res.writeHead(200, {"content-length": body.length});
        const drop = cdn.dropAfter.shift();
        if (drop === undefined) { res.end(body.subarray(start)); return; }
        // send part of the body, then cut the connection as a flaky network would
        res.write(body.subarray(start, start + drop), () => setTimeout(() => res.socket?.destroy(), 20));
        start += drop;
    });
    process.env.HF_ENDPOINT = hubUrl;
});

after(() => {
    hub.close();
    cdnServer.close();
    delete process.env.HF_ENDPOINT;
});

beforeEach(() => {
    seen = [];
    cdn = {dropAfter: [], ignoreRange: false, linkedEtag: null};
    delete process.env.HF_TOKEN;
    delete process.env.DITTO_OFFLINE;
});

const fresh = () => mkdtempSync(join(tmpdir(), "ditto-pull-"));
const quick = {retryDelayMs: 0, idleTimeoutMs: 5000};

test("full download through a redirect, checksum verified, renamed into place", async () => {
    const out = fresh();
    process.env.HF_TOKEN = "good-token";
    const progress: number[] = [];
    const res = await pullModel("hf:owner/repo/model.gguf", {outDir: out, sha256: bodySha, ...quick, onProgress: (n) => progress.push(n)});
    assert.equal(res.path, join(out, "model.gguf"));
    assert.ok(readFileSync(res.path).equals(body));
    assert.equal(res.sha256, bodySha);
    assert.equal(res.checksumFrom, "--sha256");
    assert.equal(existsSync(res.path + ".partial"), false);
    assert.equal(progress.at(-1), body.length);
    // the token goes to the hub, not to the host the redirect leads to
    assert.deepEqual(seen.map((s) => [s.server, s.auth]), [["hub", "Bearer good-token"], ["cdn", undefined]]);

    const again = await pullModel("hf:owner/repo/model.gguf", {outDir: out, ...quick});
    assert.equal(again.alreadyPresent, true);
});

test("an interrupted transfer keeps FILE.partial and the next pull resumes it with a Range request", async () => {
    const out = fresh();
    cdn.dropAfter = [120_000];
    await assert.rejects(pullModel("hf:owner/repo/model.gguf", {outDir: out, retries: 0, ...quick}),
        (err: DittoError) => err.code === "PULL_INTERRUPTED" && /run the same command again/.test(err.hint!) && err.message.includes("interrupted"));
    const partial = join(out, "model.gguf.partial");
    const kept = readFileSync(partial);
    assert.ok(kept.length > 0 && kept.length < body.length, `partial has ${kept.length} bytes`);
    assert.equal(existsSync(join(out, "model.gguf")), false, "no half file under the real name");

    seen = [];
    const res = await pullModel("hf:owner/repo/model.gguf", {outDir: out, sha256: bodySha, ...quick});
    assert.equal(res.resumedFrom, kept.length);
    assert.ok(readFileSync(res.path).equals(body));
    assert.equal(seen.find((s) => s.server === "cdn")?.range, `bytes=${kept.length}-`);
});

test("a dropped connection is resumed within the same pull", async () => {
    const out = fresh();
    cdn.dropAfter = [50_000, 70_000];
    const notices: string[] = [];
    const res = await pullModel("hf:owner/repo/model.gguf", {outDir: out, sha256: bodySha, retries: 3, ...quick, onNotice: (m) => notices.push(m)});
    assert.ok(readFileSync(res.path).equals(body));
    const ranges = seen.filter((s) => s.server === "cdn").map((s) => s.range);
    assert.equal(ranges.length, 3);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1]!, /^bytes=\d+-$/);
    assert.ok(notices.some((n) => n.includes("reconnecting")));
});

test("a server that ignores Range (200 instead of 206) makes the pull start over, not append", async () => {
    const out = fresh();
    writeFileSync(join(out, "model.gguf.partial"), body.subarray(0, 1000));
    cdn.ignoreRange = true;
    const res = await pullModel("hf:owner/repo/model.gguf", {outDir: out, sha256: bodySha, ...quick});
    assert.ok(readFileSync(res.path).equals(body));
});

test("a partial file that is already complete finishes on 416 without downloading again", async () => {
    const out = fresh();
    writeFileSync(join(out, "model.gguf.partial"), body);
    const res = await pullModel("hf:owner/repo/model.gguf", {outDir: out, sha256: bodySha, ...quick});
    assert.equal(res.bytes, body.length);
    assert.ok(readFileSync(res.path).equals(body));
});

test("a checksum mismatch is an error and removes the download (resuming could not fix it)", async () => {
    const out = fresh();
    await assert.rejects(pullModel("hf:owner/repo/model.gguf", {outDir: out, sha256: "0".repeat(64), ...quick}),
        (err: DittoError) => err.code === "PULL_SHA256_MISMATCH" && err.message.includes(bodySha) && err.message.includes("model.gguf"));
    assert.equal(existsSync(join(out, "model.gguf")), false);
    assert.equal(existsSync(join(out, "model.gguf.partial")), false);
});

test("Hugging Face's X-Linked-Etag checksum is used when the catalogue has none", async () => {
    cdn.linkedEtag = bodySha;
    const ok = await pullModel("hf:owner/repo/model.gguf", {outDir: fresh(), ...quick});
    assert.equal(ok.checksumFrom, "server");
    cdn.linkedEtag = "f".repeat(64);
    await assert.rejects(pullModel("hf:owner/repo/model.gguf", {outDir: fresh(), ...quick}),
        (err: DittoError) => err.code === "PULL_SHA256_MISMATCH" && err.message.includes("server"));
});

test("--offline and DITTO_OFFLINE=1 refuse before any network use, naming the setting", async () => {
    await assert.rejects(pullModel("hf:owner/repo/model.gguf", {outDir: fresh(), offline: true}),
        (err: DittoError) => err.code === "OFFLINE" && err.message.includes("--offline") && /drop --offline/.test(err.hint!));
    process.env.DITTO_OFFLINE = "1";
    await assert.rejects(pullModel("hf:owner/repo/model.gguf", {outDir: fresh()}),
        (err: DittoError) => err.code === "OFFLINE" && err.message.includes("DITTO_OFFLINE=1") && /unset DITTO_OFFLINE/.test(err.hint!));
    assert.equal(seen.length, 0);
    // a file that is already there needs no network: offline, pull just reports it
    const out = fresh();
    writeFileSync(join(out, "model.gguf"), body);
    assert.equal((await pullModel("hf:owner/repo/model.gguf", {outDir: out, offline: true})).alreadyPresent, true);
});

test("404 and 401 are clear errors; a gated model asks for HF_TOKEN", async () => {
    await assert.rejects(pullModel("hf:owner/repo/missing.gguf", {outDir: fresh(), ...quick}),
        (err: DittoError) => err.code === "PULL_NOT_FOUND" && err.message.includes("missing.gguf") && err.message.includes("404"));
    await assert.rejects(pullModel("hf:gated/model/model.gguf", {outDir: fresh(), ...quick}),
        (err: DittoError) => err.code === "PULL_AUTH" && /set HF_TOKEN/.test(err.hint!));
    process.env.HF_TOKEN = "good-token";
    const res = await pullModel("hf:gated/model/model.gguf", {outDir: fresh(), sha256: bodySha, ...quick});
    assert.equal(res.bytes, body.length);
});

test("disk full (ENOSPC) is a clear error and keeps the partial file", {skip: process.platform !== "linux" || !existsSync("/dev/full")}, async () => {
    const out = fresh();
    // a partial file that is /dev/full: every write fails with ENOSPC, as on a full disk
    symlinkSync("/dev/full", join(out, "model.gguf.partial"));
    await assert.rejects(pullModel("hf:owner/repo/model.gguf", {outDir: out, ...quick}),
        (err: DittoError) => err.code === "PULL_DISK_FULL" && /free disk space/.test(err.hint!) && /resumes/.test(err.hint!));
    assert.equal(existsSync(join(out, "model.gguf.partial")), true);
});

test("catalogue names, hf: references and URLs map to the download URL", () => {
    const named = resolvePullSource("qwen2.5-0.5b-instruct-q8_0");
    assert.equal(named.url, `${hubUrl}/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q8_0.gguf`);
    assert.equal(named.sizeBytes, 675710816);
    assert.equal(resolvePullSource("hf:a/b@v1.0/sub/x.gguf").url, `${hubUrl}/a/b/resolve/v1.0/sub/x.gguf`);
    assert.equal(resolvePullSource("https://huggingface.co/a/b/blob/main/x.gguf").url, "https://huggingface.co/a/b/resolve/main/x.gguf");
    assert.throws(() => resolvePullSource("no-such-model"), (err: DittoError) => err.code === "PULL_REF" && /ditto models list/.test(err.hint!));
    assert.throws(() => resolvePullSource("hf:only-owner"), (err: DittoError) => err.code === "PULL_REF");
    assert.throws(() => resolvePullSource("hf:a/b/x.gguf", {sha256: "abc"}), (err: DittoError) => err.code === "PULL_SHA256");
});

test("a second pull of the same file while one runs is refused; a lock left by a dead process is taken over", async () => {
    const out = fresh();
    const lock = join(out, "model.gguf.lock");
    // a live holder: this very process
    writeFileSync(lock, `${process.pid}@${hostname()}`);
    await assert.rejects(pullModel("hf:owner/repo/model.gguf", {outDir: out, ...quick}),
        (err: DittoError) => err.code === "PULL_LOCKED" && err.message.includes(`process ${process.pid}`) && err.hint!.includes(lock));
    assert.equal(seen.length, 0, "no request was made");
    assert.equal(existsSync(lock), true, "someone else's lock is left alone");

    // a holder that has exited
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {encoding: "utf8"});
    writeFileSync(lock, `${dead.stdout}@${hostname()}`);
    const res = await pullModel("hf:owner/repo/model.gguf", {outDir: out, sha256: bodySha, ...quick});
    assert.ok(readFileSync(res.path).equals(body));
    assert.equal(existsSync(lock), false, "the lock is released after the pull");
});
