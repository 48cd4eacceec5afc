import {after, before, test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import OpenAI from "openai";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {makeFixtureAdapter, makeFixtureRun} from "../eval/evalFixtureRun.js";
import {startServeProcess, type ServeProcess} from "./serveProcess.js";

// One server for the file: the tiny model with two adapters served as two names, an API key, and
// the trained line of a run's character added to requests without a system message.
const run = mkdtempSync(join(tmpdir(), "ditto-serve-"));
const adapter = join(run, "train", "adapter.gguf");
const key = "test-key-1";
let serve: ServeProcess;
let client: OpenAI;

before(async () => {
    makeFixtureRun(run);
    makeFixtureAdapter(adapter);
    serve = await startServeProcess(["--model", fixtureModel("qwen2", "q8_0"), "--adapter", `ada=${adapter}`, "--adapter", `ada2=${adapter}`,
        "--character", "Ada Lovelace", "--run", run, "--api-key", key, "--parallel", "8", "--context-size", "1024"]);
    client = new OpenAI({baseURL: serve.url, apiKey: key, maxRetries: 0, timeout: 240_000});
});

after(() => { if (serve.child.exitCode === null) serve.child.kill("SIGKILL"); });

const say = (content: string) => [{role: "user" as const, content}];

test("GET /v1/models lists each adapter under its own name", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids.sort(), ["ada", "ada2"]);
    assert.equal((await client.models.retrieve("ada2")).id, "ada2");
});

test("a completion, streamed and not, gives the same text for the same seed, with usage and finish_reason", async () => {
    const request = {model: "ada", messages: say("Who are you?"), max_tokens: 12, temperature: 0, seed: 7};
    const plain = await client.chat.completions.create(request);
    assert.equal(plain.object, "chat.completion");
    assert.equal(plain.choices[0]!.finish_reason, "length");
    assert.equal(plain.usage!.completion_tokens, 12);
    assert.ok(plain.choices[0]!.message.content!.length > 0);

    const stream = await client.chat.completions.create({...request, stream: true, stream_options: {include_usage: true}});
    let text = "", finish: string | null = null, usage: OpenAI.CompletionUsage | undefined, chunks = 0;
    for await (const chunk of stream) {
        chunks++;
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        if (choice?.delta.content) text += choice.delta.content;
        if (choice?.finish_reason) finish = choice.finish_reason;
    }
    assert.ok(chunks > 3, "the reply arrives in pieces");
    assert.equal(text, plain.choices[0]!.message.content);
    assert.equal(finish, "length");
    assert.deepEqual(usage, plain.usage);
});

test("the run's trained line is the system prompt of requests that have none", async () => {
    const tokens = async (messages: OpenAI.ChatCompletionMessageParam[]) =>
        (await client.chat.completions.create({model: "ada", messages, max_tokens: 1})).usage!.prompt_tokens;
    const none = await tokens(say("Hello?"));
    const trained = await tokens([{role: "system", content: "You are Ada Lovelace, an English mathematician who wrote the first computer program."}, ...say("Hello?")]);
    const other = await tokens([{role: "system", content: "Hi."}, ...say("Hello?")]);
    assert.equal(none, trained);
    assert.notEqual(none, other);
});

test("16 concurrent streaming chats on two models each get their own whole answer", async () => {
    // the grammar forces each answer to name its own request: a token streamed to the wrong request shows
    const one = async (i: number) => {
        const stream = await client.chat.completions.create({
            model: i % 2 ? "ada" : "ada2", messages: say(`Request ${i}: answer with your tag.`), stream: true, max_tokens: 64, seed: i,
            response_format: {type: "json_schema", json_schema: {name: "tag", strict: true,
                schema: {type: "object", properties: {tag: {enum: [`request-${i}`]}}, required: ["tag"], additionalProperties: false}}}
        });
        let text = "", finish: string | null = null;
        for await (const chunk of stream) {
            text += chunk.choices[0]?.delta.content ?? "";
            finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        return {i, text, finish};
    };
    const results = await Promise.all(Array.from({length: 16}, (_, i) => one(i)));
    assert.equal(results.length, 16);
    for (const r of results) {
        assert.deepEqual(JSON.parse(r.text), {tag: `request-${r.i}`}, `request ${r.i} got ${r.text}`);
        assert.equal(r.finish, "stop");
    }
});

test("response_format json_object gives a JSON object", async () => {
    // the grammar allows any object; greedy on the random model it still closes within the budget
    const reply = await client.chat.completions.create({model: "ada", messages: say("Describe yourself as JSON."), max_tokens: 256, temperature: 0, seed: 5,
        response_format: {type: "json_object"}});
    const text = reply.choices[0]!.message.content!;
    assert.equal(reply.choices[0]!.finish_reason, "stop", `the object was cut at max_tokens: ${text}`);
    const value: unknown = JSON.parse(text);
    assert.ok(value !== null && typeof value === "object" && !Array.isArray(value), `not an object: ${text}`);
});

test("stop strings end the reply, and the reply does not contain them", async () => {
    const plain = await client.chat.completions.create({model: "ada", messages: say("Talk."), max_tokens: 24, temperature: 0, seed: 3});
    const text = plain.choices[0]!.message.content!;
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 2);
    assert.ok(stop.trim().length > 0, `a stop string from the middle of ${JSON.stringify(text)}`);
    const stopped = await client.chat.completions.create({model: "ada", messages: say("Talk."), max_tokens: 24, temperature: 0, seed: 3, stop: [stop]});
    assert.equal(stopped.choices[0]!.finish_reason, "stop");
    assert.equal(stopped.choices[0]!.message.content, text.slice(0, text.indexOf(stop)));
});

test("cancelled streams stop generating and free their sequences", async () => {
    const before = serve.output().split("client left").length;
    // as many long streams as the model has sequences, each cancelled after its first words
    const cancelled = await Promise.all(Array.from({length: 8}, async (_, i) => {
        const stream = await client.chat.completions.create({model: "ada", messages: say(`Tell me everything, ${i}.`), stream: true, seed: i});
        let pieces = 0;
        for await (const chunk of stream) {
            if (chunk.choices[0]?.delta.content && ++pieces === 3) { stream.controller.abort(); break; }
        }
        return pieces;
    }));
    assert.deepEqual(cancelled, Array(8).fill(3));
    // every sequence is free again: a new request is answered
    const next = await client.chat.completions.create({model: "ada", messages: say("Still there?"), max_tokens: 4});
    assert.equal(next.choices[0]!.message.role, "assistant");
    await waitFor(() => serve.output().split("client left").length - before >= 8);
    const left = [...serve.output().matchAll(/ada client left, \d+ prompt \+ (\d+) completion tokens/g)].map((m) => Number(m[1]));
    assert.equal(left.length, 8);
    // the context allows ~1000 tokens; each stopped far short of it
    for (const n of left) assert.ok(n < 200, `a cancelled stream went on for ${n} tokens`);
});

test("bad requests get OpenAI error objects with the right status, and the server goes on", async () => {
    const raw = async (body: string, init: RequestInit = {}) => {
        const res = await fetch(`${serve.url}/chat/completions`, {method: "POST", body, ...init,
            headers: {"content-type": "application/json", authorization: `Bearer ${key}`, ...init.headers as Record<string, string>}});
        return {status: res.status, error: ((await res.json()) as {error: {message: string, type: string, param: string | null, code: string | null}}).error};
    };
    const malformed = await raw("{\"model\": \"ada\", \"messages\": [");
    assert.equal(malformed.status, 400);
    assert.equal(malformed.error.type, "invalid_request_error");
    assert.match(malformed.error.message, /could not parse the JSON body/);

    const expectError = async (request: object, status: number, check: (e: InstanceType<typeof OpenAI.APIError>) => void) => {
        await assert.rejects(client.chat.completions.create(request as OpenAI.ChatCompletionCreateParamsNonStreaming), (err: unknown) => {
            assert.ok(err instanceof OpenAI.APIError, String(err));
            assert.equal(err.status, status, err.message);
            check(err);
            return true;
        });
    };
    await expectError({model: "nobody", messages: say("hi")}, 404, (e) => { assert.equal(e.code, "model_not_found"); assert.equal(e.param, "model"); });
    await expectError({model: "ada", messages: say("word ".repeat(3000))}, 400, (e) => { assert.equal(e.code, "context_length_exceeded"); assert.match(e.message, /maximum context length is 1024 tokens/); });
    await expectError({model: "ada", messages: say("hi"), max_tokens: 5000}, 400, (e) => assert.equal(e.code, "context_length_exceeded"));
    await expectError({model: "ada", messages: say("hi"), temperature: 7}, 400, (e) => assert.equal(e.param, "temperature"));
    await expectError({model: "ada", messages: []}, 400, (e) => assert.equal(e.param, "messages"));
    await expectError({model: "ada", messages: [{role: "tool", content: "x", tool_call_id: "1"}]}, 400, (e) => assert.equal(e.param, "messages[0].role"));
    await expectError({model: "ada", messages: [...say("hi"), {role: "assistant", content: "Hel"}]}, 400, (e) => assert.equal(e.param, "messages[1].role"));
    await expectError({model: "ada", messages: say("hi"), n: 2}, 400, (e) => assert.equal(e.param, "n"));
    await expectError({model: "ada", messages: say("hi"), logit_bias: {"999999999": -100}}, 400, (e) => assert.equal(e.param, "logit_bias"));

    const noKey = new OpenAI({baseURL: serve.url, apiKey: "wrong", maxRetries: 0});
    await assert.rejects(noKey.chat.completions.create({model: "ada", messages: say("hi")}), (err: unknown) => err instanceof OpenAI.AuthenticationError);
    const wrongRoute = await fetch(`${serve.url}/completions`, {method: "POST", headers: {authorization: `Bearer ${key}`}, body: "{}"});
    assert.equal(wrongRoute.status, 404);
    const wrongMethod = await fetch(`${serve.url}/chat/completions`, {headers: {authorization: `Bearer ${key}`}});
    assert.equal(wrongMethod.status, 405);
    const huge = await raw(JSON.stringify({model: "ada", messages: say("x".repeat(9 << 20))}));
    assert.equal(huge.status, 413);

    const ok = await client.chat.completions.create({model: "ada", messages: say("Are you well?"), max_tokens: 3});
    assert.equal(ok.choices[0]!.message.role, "assistant");
    assert.equal(serve.child.exitCode, null, "the server is still running");
});

test("Ctrl-C lets the request in flight finish, then the server exits", async () => {
    const stream = await client.chat.completions.create({model: "ada", messages: say("One more thing."), stream: true, max_tokens: 40, seed: 1});
    let text = "", finish: string | null = null, signalled = false;
    for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (!signalled && text) { signalled = true; serve.child.kill("SIGINT"); }
    }
    assert.ok(signalled);
    assert.equal(finish, "length", "the stream ran to its end");
    assert.equal(await serve.exited, 0);
    assert.match(serve.output(), /finishing 1 request\(s\) in flight[\s\S]*stopped\n$/);
});

test("a host other than loopback needs an API key", async () => {
    const {spawn} = await import("node:child_process");
    const child = spawn(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "serve", "--model", fixtureModel("qwen2", "q8_0"), "--host", "0.0.0.0", "--port", "0", "--gpu", "cpu"],
        {stdio: ["ignore", "pipe", "pipe"], env: {...process.env, DITTO_API_KEY: ""}});
    let err = "";
    child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 1);
    assert.match(err, /error: --host 0\.0\.0\.0 accepts connections from other machines, and no --api-key is set\n\s+fix: add --api-key/);
});

async function waitFor(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 600 && !condition(); i++) await new Promise((r) => setTimeout(r, 100));
}
