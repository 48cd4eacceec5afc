import {test} from "node:test";
import assert from "node:assert/strict";
import {createServer, type IncomingMessage} from "node:http";
import type {AddressInfo} from "node:net";
import {OpenAiCompatibleBackend} from "../../src/runtime/OpenAiCompatibleBackend.js";
import {DittoError} from "../../src/errors/DittoError.js";

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
    let text = "";
    for await (const chunk of req) text += chunk;
    return JSON.parse(text) as Record<string, unknown>;
}

test("talks to an OpenAI-compatible server: sampling, JSON schema, finish reason, parallel limit", async () => {
    const seen: Record<string, unknown>[] = [];
    let inFlight = 0, maxInFlight = 0;
    const server = createServer(async (req, res) => {
        const b = await body(req);
        seen.push(b);
        inFlight++; maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        assert.equal(req.url, "/v1/chat/completions");
        const last = (b.messages as {content: string}[]).at(-1)!.content;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({choices: [{message: {role: "assistant", content: `echo: ${last}`}, finish_reason: last === "long" ? "length" : "stop"}],
            usage: {completion_tokens: 3}}));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
        const backend = new OpenAiCompatibleBackend({baseUrl: `http://127.0.0.1:${port}/v1/`, model: "m", parallel: 2});
        const prompts = ["a", "b", "c", "long", "e"];
        const out = await Promise.all(prompts.map((p) => backend.generate({messages: [{role: "user", content: p}],
            sampling: {temperature: 0.2, maxTokens: 9, seed: 4}, jsonSchema: p === "a" ? {type: "object"} : undefined})));
        assert.deepEqual(out.map((o) => o.text), prompts.map((p) => `echo: ${p}`));
        assert.equal(out[3]!.finish, "length");
        assert.equal(out[0]!.finish, "stop");
        assert.equal(backend.generatedTokens, 15);
        assert.ok(maxInFlight <= 2, `parallel limit exceeded: ${maxInFlight}`);
        const first = seen.find((s) => (s.messages as {content: string}[])[0]!.content === "a")!;
        assert.equal(first.model, "m");
        assert.equal(first.max_tokens, 9);
        assert.equal(first.seed, 4);
        assert.equal((first.response_format as {type: string}).type, "json_schema");
    } finally {
        server.close();
    }
});

test("a server error names the URL and the status", async () => {
    const server = createServer((_req, res) => { res.statusCode = 404; res.end("no such route"); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
        const backend = new OpenAiCompatibleBackend({baseUrl: `http://127.0.0.1:${port}`, model: "m"});
        await assert.rejects(backend.generate({messages: [{role: "user", content: "x"}]}),
            (err: unknown) => err instanceof DittoError && /answered 404/.test(err.message) && /base_url/.test(err.hint ?? ""));
    } finally {
        server.close();
    }
});

test("DITTO_OFFLINE=1 forbids the remote backend", () => {
    process.env.DITTO_OFFLINE = "1";
    try {
        assert.throws(() => new OpenAiCompatibleBackend({baseUrl: "http://127.0.0.1:1/v1", model: "m"}), /DITTO_OFFLINE/);
    } finally {
        delete process.env.DITTO_OFFLINE;
    }
});
