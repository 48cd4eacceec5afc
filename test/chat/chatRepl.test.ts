import {test, after} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {PassThrough} from "node:stream";
import {openChatBackend} from "../../src/chat/openChatBackend.js";
import {findChatCharacter, readProfileFile} from "../../src/chat/resolveChatCharacter.js";
import {runChatRepl} from "../../src/chat/runChatRepl.js";
import {DittoError} from "../../src/errors/DittoError.js";
import type {GenerationPool} from "../../src/runtime/GenerationPool.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {makeFixtureAdapter, makeFixtureRun} from "../eval/evalFixtureRun.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-chat-"));
const run = join(dir, "run");
makeFixtureRun(run);
let backend: GenerationPool | undefined;
after(async () => { await backend?.dispose(); });

test("chat REPL on the tiny model with an adapter: streams replies, keeps the history, /character /reset /save /help", async () => {
    const adapter = join(dir, "adapter.gguf");
    makeFixtureAdapter(adapter);
    backend = await openChatBackend({model: fixtureModel("qwen2", "q8_0"), adapter, gpu: "cpu", threads: 2, contextSize: 1024});
    const input = new PassThrough(), output = new PassThrough();
    let out = "";
    output.on("data", (d: Buffer) => { out += d.toString(); });
    const saved = join(dir, "chat.json"), saved2 = join(dir, "chat2.json");
    const done = runChatRepl({backend, character: findChatCharacter("ada lovelace", run), findCharacter: (n) => findChatCharacter(n, run),
        input, output, signals: "none", sampling: {maxTokens: 6, seed: 3}});
    input.end(["Hello there", "What did you write?", `/save ${saved}`, "/help", "/bogus", "/character Nobody", "/character tur",
        "Who are you?", `/save ${saved2}`, "/reset", "/quit", "this line is never read"].join("\n") + "\n");
    const session = await done;
    assert.match(out, /Chatting with Ada Lovelace\. You are Ada Lovelace, an English mathematician who wrote the first computer program\./);
    assert.match(out, /Ada Lovelace> /);
    assert.match(out, /\/character NAME/);
    assert.match(out, /unknown command \/bogus/);
    assert.match(out, /error: no character "Nobody"/);
    assert.match(out, /\(now Alan Turing: You are Alan Turing, a British mathematician and codebreaker\.\)/);
    assert.match(out, /Alan Turing> /);
    assert.match(out, /bye\n$/);
    const first = JSON.parse(readFileSync(saved, "utf8")) as {messages: {role: string, content: string}[], meta: {character: string}};
    assert.deepEqual(first.messages.map((m) => m.role), ["system", "user", "assistant", "user", "assistant"]);
    assert.equal(first.messages[3]!.content, "What did you write?");
    assert.equal(first.meta.character, "Ada Lovelace");
    const second = JSON.parse(readFileSync(saved2, "utf8")) as {messages: {role: string, content: string}[]};
    assert.deepEqual(second.messages.map((m) => m.role), ["system", "user", "assistant"], "switching character starts over");
    assert.equal(session.length, 0, "/reset cleared the conversation");
});

test("profiles for chat: a YAML or JSON file, a name looked up in the run, clear errors", () => {
    const yaml = join(dir, "p.yaml");
    writeFileSync(yaml, "label: Marie Curie\ndescription: a physicist and chemist\nlang: en\n");
    assert.deepEqual(readProfileFile(yaml), {label: "Marie Curie", description: "a physicist and chemist", lang: "en"});
    const json = join(dir, "p.json");
    writeFileSync(json, JSON.stringify([{name: "Holmes", description: "a detective"}]));
    assert.deepEqual(readProfileFile(json), {label: "Holmes", description: "a detective"});
    writeFileSync(json, JSON.stringify({description: "no name"}));
    assert.throws(() => readProfileFile(json), (e: unknown) => e instanceof DittoError && /p\.json: label: expected the character's name/.test(e.message));
    assert.equal(findChatCharacter("NAP", run).label, "Napoleon Bonaparte", "id, any case");
    assert.deepEqual(findChatCharacter("Zorro"), {label: "Zorro", description: ""}, "without a run: the bare name");
});
