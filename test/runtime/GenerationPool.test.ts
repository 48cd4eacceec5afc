import {after, before, test} from "node:test";
import assert from "node:assert/strict";
import {resolveChatWrapper, type Llama, type LlamaModel, type Token} from "node-llama-cpp";
import {GenerationPool} from "../../src/runtime/GenerationPool.js";
import {loadModel} from "../../src/runtime/loadModel.js";
import {openLlama} from "../../src/runtime/openLlama.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

let llama: Llama;
const models: LlamaModel[] = [];
before(async () => { llama = await openLlama("cpu"); });
after(async () => { for (const m of models) await m.dispose(); });

async function load(arch: "qwen2" | "qwen3" | "llama"): Promise<LlamaModel> {
    const model = await loadModel(llama, fixtureModel(arch, "f16"));
    models.push(model);
    return model;
}

const greedy = {temperature: 0, maxTokens: 8, seed: 1};

// The fixtures carry ChatML (qwen2, llama) and Qwen3's own template (qwen3); node-llama-cpp must pick
// the matching wrapper from the file, and generation must go through it.
for (const [arch, wrapperName] of [["qwen2", "ChatML"], ["llama", "ChatML"], ["qwen3", "Qwen"]] as const) {
    test(`${arch} fixture loads and chats under its own template (${wrapperName})`, async () => {
        const model = await load(arch);
        const wrapper = resolveChatWrapper(model);
        assert.equal(wrapper.wrapperName, wrapperName);
        const rendered = wrapper.generateContextState({chatHistory: [{type: "user", text: "hello"}, {type: "model", response: []}]})
            .contextText.toString();
        assert.match(rendered, /<\|im_start\|>user\nhello<\|im_end\|>/);
        const pool = await GenerationPool.create(llama, model, {parallel: 2, contextSize: 512, threads: 2});
        try {
            const request = {messages: [{role: "system" as const, content: "You are Ada."}, {role: "user" as const, content: "Who are you?"}], sampling: greedy};
            const res = await pool.generate(request);
            assert.ok(res.finish === "stop" || res.finish === "length");
            assert.ok(res.tokens > 0 && res.tokens <= greedy.maxTokens, `${res.tokens} tokens`);
            if (res.finish === "length") assert.equal(res.tokens, greedy.maxTokens);
            assert.ok(res.text.length > 0, "the reply has text");
            // greedy and seeded: the same request gives the same reply
            assert.deepEqual(await pool.generate(request), res);
        } finally {
            await pool.dispose();
        }
    });
}

test("JSON-schema generation returns parseable JSON that fits the schema", async () => {
    const model = models[0] ?? await load("qwen2");
    const pool = await GenerationPool.create(llama, model, {parallel: 2, contextSize: 1024, threads: 2});
    try {
        const schema = {
            type: "object",
            properties: {mood: {enum: ["calm", "angry", "sad"]}, inCharacter: {type: "boolean"}},
            required: ["mood", "inCharacter"]
        };
        for (const seed of [1, 2]) {
            const res = await pool.generate({messages: [{role: "user", content: "Rate the reply as JSON."}], jsonSchema: schema,
                sampling: {temperature: 0.8, seed, maxTokens: 64}});
            const parsed = JSON.parse(res.text) as {mood: string, inCharacter: boolean};
            assert.ok(["calm", "angry", "sad"].includes(parsed.mood), res.text);
            assert.equal(typeof parsed.inCharacter, "boolean");
        }
    } finally {
        await pool.dispose();
    }
});

test("the pool runs more requests than it has sequences, never more than `parallel` at once", async () => {
    const model = models[0] ?? await load("qwen2");
    const pool = await GenerationPool.create(llama, model, {parallel: 2, contextSize: 256, threads: 2});
    try {
        let inFlight = 0, most = 0;
        const used = new Set<number>();
        const results = await Promise.all(Array.from({length: 7}, (_, i) => pool.lease(async (seq) => {
            inFlight++;
            most = Math.max(most, inFlight);
            used.add(seq.index);
            try {
                return await seq.generate({messages: [{role: "user", content: `request ${i}`}], sampling: {...greedy, maxTokens: 4}});
            } finally {
                inFlight--;
            }
        })));
        assert.equal(results.length, 7);
        assert.equal(most, 2);
        assert.deepEqual([...used].sort(), [0, 1]);
        assert.equal(pool.generatedTokens, results.reduce((a, r) => a + r.tokens, 0));
    } finally {
        await pool.dispose();
    }
});

test("banned tokens are never generated: with the end-of-generation tokens banned, every answer runs to maxTokens", async () => {
    const model = models[0] ?? await load("qwen2");
    // every end-of-generation token of the vocabulary (Qwen's has several besides <|im_end|>)
    const eog = Array.from({length: 151936}, (_, id) => id as Token).filter((t) => model.isEogToken(t));
    assert.ok(eog.length > 0);
    const pool = await GenerationPool.create(llama, model, {parallel: 2, contextSize: 256, threads: 2});
    try {
        const results = await Promise.all([1, 2].map((seed) => pool.generate({messages: [{role: "user", content: "hi"}],
            bannedTokens: eog, sampling: {temperature: 1, seed, maxTokens: 6}})));
        for (const r of results) {
            assert.equal(r.finish, "length");
            assert.equal(r.tokens, 6);
        }
    } finally {
        await pool.dispose();
    }
});

test("a conversation that starts while others generate begins within a step, not after they finish", async () => {
    const model = models[0] ?? await load("qwen2");
    const eog = Array.from({length: 151936}, (_, id) => id as Token).filter((t) => model.isEogToken(t));
    const pool = await GenerationPool.create(llama, model, {parallel: 4, contextSize: 512, threads: 2});
    try {
        // three long answers started a few tokens apart, so their steps fall out of phase (as requests
        // reaching a server do), then a short one; it needs its KV cache cleared, under the context's lock
        const finished: string[] = [];
        const started = (name: string, after: number) => new Promise<void>((resolveStart) => {
            let seen = 0;
            void pool.generate({messages: [{role: "user", content: `Tell a long story, ${name}.`}], bannedTokens: eog,
                sampling: {temperature: 1, seed: name.length, maxTokens: name === "short" ? 4 : 160},
                onText: () => { if (++seen === after) resolveStart(); }})
                .then(() => finished.push(name), () => {}); // after a failed assertion the pool is disposed under them
        });
        await started("first", 3);
        await started("second", 3);
        await started("third", 3);
        const shortDone = new Promise<void>((resolveDone) => {
            void pool.generate({messages: [{role: "user", content: "Hi."}], bannedTokens: eog, sampling: {temperature: 0, maxTokens: 4}})
                .then(() => { finished.push("short"); resolveDone(); });
        });
        await shortDone;
        // the long ones have ~150 tokens left each: the short one must not have waited for any of them
        assert.deepEqual(finished, ["short"], `finished before the short answer: ${finished.join(", ")}`);
        while (finished.length < 4) await new Promise((r) => setTimeout(r, 50));
    } finally {
        await pool.dispose();
    }
});
