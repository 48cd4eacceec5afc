// npm run bench:serve [-- --json FILE] [--chats 16] [--tokens 64] [--rounds 5] [--threads N] [--gpu auto] [--model fixture:qwen2-bench-0.5b-q8_0]
//
// Throughput of `ditto serve` against the runtime it wraps: the same 16 chats (distinct prompts,
// greedy, end-of-generation tokens banned so each is exactly --tokens long) sent at once as
// streaming requests through the HTTP server with the official openai client, and given at once
// to GenerationPool.generate directly. Both sides use one pool on one loaded model, in this
// process (as `ditto serve` runs), and alternate --rounds times. Prints each round, the best round
// of each side, and the median of the rounds' ratios (the figure judged against the target).
import {writeFileSync} from "node:fs";
import {loadavg} from "node:os";
import {performance} from "node:perf_hooks";
import {parseArgs} from "node:util";
import {resolveChatWrapper, type LlamaModel, type Token} from "node-llama-cpp";
import OpenAI from "openai";
import {readGgufHeader} from "../src/gguf/readGgufHeader.js";
import {resolveModelRef} from "../src/models/resolveModelRef.js";
import {GenerationPool} from "../src/runtime/GenerationPool.js";
import {loadModel} from "../src/runtime/loadModel.js";
import {gpuChoices, openLlama, type GpuChoice} from "../src/runtime/openLlama.js";
import {resolveThreads} from "../src/runtime/physicalCores.js";
import {startServer} from "../src/serve/startServer.js";

const {values: args} = parseArgs({options: {
    json: {type: "string"},
    chats: {type: "string", default: "16"},
    tokens: {type: "string", default: "64"},
    rounds: {type: "string", default: "5"},
    threads: {type: "string"},
    gpu: {type: "string", default: "auto"},
    model: {type: "string", default: "fixture:qwen2-bench-0.5b-q8_0"}
}});
if (!(gpuChoices as readonly string[]).includes(args.gpu!)) throw new Error(`--gpu must be one of ${gpuChoices.join(", ")}`);
const chats = Number(args.chats), tokens = Number(args.tokens), rounds = Math.max(1, Number(args.rounds));
const threads = resolveThreads(args.threads === undefined ? undefined : Number(args.threads));
const prompts = Array.from({length: chats}, (_, i) => `Chat ${i + 1}: describe, in character, the harbour town where you grew up and the people who live there.`);
const contextSize = 256;

const started = Date.now();
const modelPath = resolveModelRef(args.model!);
const llama = await openLlama(args.gpu as GpuChoice);
const model = await loadModel(llama, modelPath);
const banned = eogTokens(model, modelPath);
const pool = await GenerationPool.create(llama, model, {parallel: chats, contextSize, threads});
const server = await startServer({models: [{id: "bench", pool, chatWrapper: resolveChatWrapper(model), created: 0}], port: 0});
const client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: "none", maxRetries: 0, timeout: 3_600_000});
console.log(`model ${modelPath}\nbackend ${llama.gpu === false ? "cpu" : llama.gpu}, ${threads} threads, ${chats} concurrent chats of ${tokens} tokens, ` +
    `${banned.length} end-of-generation tokens banned, ${rounds} rounds, load average ${loadavg()[0]!.toFixed(1)}`);

// page the weights in before the first measurement
await pool.generate({messages: [{role: "user", content: prompts[0]!}], sampling: {temperature: 0, maxTokens: 4, repeatPenalty: 1}});

// Rounds alternate which side goes first, so a drift in the machine's speed (other processes,
// frequency) does not favour one side; the judged figure is the median of the per-round ratios,
// each round's two sides having run back to back under the same conditions.
let direct = 0, served = 0;
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
    let d: number, s: number;
    if (r % 2 === 0) { d = await directRound(); s = await serverRound(); }
    else { s = await serverRound(); d = await directRound(); }
    console.log(`  round ${r + 1}${r % 2 ? " (serve first)" : ""}: GenerationPool ${d.toFixed(1)} tokens/s, ditto serve ${s.toFixed(1)} tokens/s (ratio ${(s / d).toFixed(2)})`);
    direct = Math.max(direct, d);
    served = Math.max(served, s);
    ratios.push(s / d);
}
const ratio = median(ratios);
console.log(`\n side                                tokens/s (best round)\n GenerationPool.generate (direct)   ${direct.toFixed(1).padStart(9)}\n ditto serve (HTTP, SSE, openai)    ${served.toFixed(1).padStart(9)}`);
console.log(`\nratio ${ratio.toFixed(2)}, the median of ${rounds} rounds' ratios (target >= 0.9 ${ratio >= 0.9 ? "met" : "MISSED"}; best round against best round ${(served / direct).toFixed(2)}); ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s, load average at the end ${loadavg()[0]!.toFixed(1)}` +
    " (on a shared machine the numbers are noisy; compare the ratio)");
if (args.json) {
    writeFileSync(args.json, JSON.stringify({chats, tokens, rounds, direct_tokens_per_s: round(direct), serve_tokens_per_s: round(served), ratio: round(ratio, 3),
        round_ratios: ratios.map((x) => round(x, 3))}, null, 2) + "\n");
    console.log(`wrote ${args.json}`);
}
await server.close();
await pool.dispose();
await model.dispose();

async function directRound(): Promise<number> {
    const t0 = performance.now();
    const results = await Promise.all(prompts.map((p) => pool.generate({messages: [{role: "user", content: p}], bannedTokens: banned,
        sampling: {temperature: 0, maxTokens: tokens, repeatPenalty: 1}})));
    const seconds = (performance.now() - t0) / 1000;
    const total = results.reduce((n, r) => n + r.tokens, 0);
    check("direct", total);
    return total / seconds;
}

async function serverRound(): Promise<number> {
    const logitBias = Object.fromEntries(banned.map((t) => [String(t), -100]));
    const t0 = performance.now();
    const results = await Promise.all(prompts.map(async (p, i) => {
        const stream = await client.chat.completions.create({model: "bench", messages: [{role: "user", content: p}], stream: true,
            stream_options: {include_usage: true}, temperature: 0, max_tokens: tokens, logit_bias: logitBias});
        let completion = 0, text = "", id = "";
        for await (const chunk of stream) {
            id = chunk.id;
            text += chunk.choices[0]?.delta.content ?? "";
            if (chunk.usage) completion = chunk.usage.completion_tokens;
        }
        return {i, id, text, completion};
    }));
    const seconds = (performance.now() - t0) / 1000;
    if (new Set(results.map((r) => r.id)).size !== chats) console.warn("warning: some streams share an id");
    const total = results.reduce((n, r) => n + r.completion, 0);
    check("serve", total);
    return total / seconds;
}

function check(side: string, got: number) {
    if (got !== chats * tokens) console.warn(`warning: ${side} generated ${got} tokens, expected ${chats * tokens}; tokens/s uses the real count`);
}

/** Every token llama.cpp treats as end of generation (the Qwen vocabulary has several). */
function eogTokens(m: LlamaModel, path: string): Token[] {
    const vocab = (readGgufHeader(path).metadata.get("tokenizer.ggml.tokens") as string[]).length;
    const out: Token[] = [];
    for (let id = 0; id < vocab; id++) if (m.isEogToken(id as Token)) out.push(id as Token);
    return out;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function round(x: number, digits = 1): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}
