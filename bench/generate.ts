// npm run bench:generate [-- --json FILE] [--sequences 1,4,16,32] [--tokens 64] [--threads N] [--gpu auto] [--repeat 1]
//
// On a machine shared with other work, use --repeat 3: bare and runtime runs alternate and the best
// of each is kept, since other processes only ever slow a run down.
//
// Generation throughput of bare node-llama-cpp (default batching, written as a user would: one
// context with N sequences, one LlamaChatSession per sequence) against ditto's GenerationPool
// (same library, batches ordered by sequence id), on the same model, in the same run. Both sides
// do the same work: the same messages (one user turn, no system prompt: the bare sessions' default
// system prompt is removed), the same chat template (resolved once, as the pool does), the same
// context batch size (the pool's), and exactly the same number of generated tokens per sequence
// (end-of-generation tokens are banned on both sides, so a random-weight model cannot stop early).
// Prompt and generated tokens are reported separately; the bare side's evaluated input tokens are
// counted from its sequences' token meters. Prints a table and the ratio.
import {writeFileSync} from "node:fs";
import {loadavg} from "node:os";
import {performance} from "node:perf_hooks";
import {parseArgs} from "node:util";
import {LlamaChatSession, resolveChatWrapper, TokenBias, type ChatHistoryItem, type Llama, type LlamaModel, type Token} from "node-llama-cpp";
import {readGgufHeader} from "../src/gguf/readGgufHeader.js";
import {resolveModelRef} from "../src/models/resolveModelRef.js";
import {GenerationPool} from "../src/runtime/GenerationPool.js";
import {loadModel} from "../src/runtime/loadModel.js";
import {gpuChoices, openLlama, type GpuChoice} from "../src/runtime/openLlama.js";
import {physicalCores, resolveThreads} from "../src/runtime/physicalCores.js";

const {values: args} = parseArgs({options: {
    json: {type: "string"},
    sequences: {type: "string", default: "1,4,16,32"},
    tokens: {type: "string", default: "64"},
    threads: {type: "string"},
    gpu: {type: "string", default: "auto"},
    model: {type: "string", default: "fixture:qwen2-bench-0.5b-q8_0"},
    repeat: {type: "string", default: "1"}
}});
if (!(gpuChoices as readonly string[]).includes(args.gpu!)) throw new Error(`--gpu must be one of ${gpuChoices.join(", ")}`);
const sequenceCounts = args.sequences!.split(",").map(Number);
const tokensPerSequence = Number(args.tokens);
const repeat = Math.max(1, Number(args.repeat));
const threads = resolveThreads(args.threads === undefined ? undefined : Number(args.threads));
const prompt = "Describe, in character, the harbour town where you grew up and the people who live there.";
// per sequence: the templated prompt (~40 tokens) plus the answer, with room to spare
const contextSize = 256;

type Row = {sequences: number, prompt_tokens: number, generated_tokens: number, bare_input_tokens: number, batch_size: number,
    bare_tokens_per_s: number, runtime_tokens_per_s: number, ratio: number};

const started = Date.now();
const modelPath = resolveModelRef(args.model!); // makes the fixture on first use (about a minute for bench-0.5b)
const llama = await openLlama(args.gpu as GpuChoice);
const model = await loadModel(llama, modelPath);
const endOfGeneration = eogTokens(model, modelPath);
const chatWrapper = resolveChatWrapper(model);
// what both sides send: one user turn and the model turn to fill
const history: ChatHistoryItem[] = [{type: "user", text: prompt}, {type: "model", response: []}];
const promptTokens = chatWrapper.generateContextState({chatHistory: history}).contextText.tokenize(model.tokenizer).length;
console.log(`model ${modelPath}\nprompt ${promptTokens} tokens per sequence (chat template ${chatWrapper.wrapperName}, no system prompt)\nbackend ${llama.gpu === false ? "cpu" : llama.gpu}, ${threads} threads (${physicalCores()} physical cores), ` +
    `${tokensPerSequence} tokens per sequence, ${endOfGeneration.length} end-of-generation tokens banned, load average ${loadavg()[0]!.toFixed(1)}`);

// page the weights in and settle the CPU before the first measurement
await runtimeRun(llama, model, 1, 8);

const rows: Row[] = [];
for (const n of sequenceCounts) {
    let bare = 0, runtime = 0, bareInput = 0, batchSize = 0;
    for (let r = 0; r < repeat; r++) {
        // best of `repeat`: other processes on a shared machine only ever slow a run down
        const rt = await runtimeRun(llama, model, n, tokensPerSequence);
        const b = await bareRun(model, n, tokensPerSequence, rt.batchSize);
        if (repeat > 1) console.log(`  ${n} sequences, run ${r + 1} of ${repeat}: bare ${b.tokensPerS.toFixed(1)}, runtime ${rt.tokensPerS.toFixed(1)} tokens/s`);
        bare = Math.max(bare, b.tokensPerS);
        runtime = Math.max(runtime, rt.tokensPerS);
        bareInput = b.inputTokens;
        batchSize = rt.batchSize;
    }
    rows.push({sequences: n, prompt_tokens: n * promptTokens, generated_tokens: n * tokensPerSequence, bare_input_tokens: bareInput, batch_size: batchSize,
        bare_tokens_per_s: round(bare), runtime_tokens_per_s: round(runtime), ratio: round(runtime / bare, 2)});
    console.log(`  ${n} sequences: bare ${bare.toFixed(1)}, runtime ${runtime.toFixed(1)} tokens/s${repeat > 1 ? " (best of each)" : ""}`);
}

const target = (n: number) => (n === 1 ? 0.95 : n >= 16 ? 1.8 : null);
console.log(`\n(tokens/s: generated tokens per second; prompt tokens are evaluated in the same time on both sides)`);
console.log(` sequences  batch  prompt tokens  bare input evaluated  generated tokens  bare tokens/s  runtime tokens/s  ratio  target`);
for (const row of rows) {
    const t = target(row.sequences);
    console.log(`${String(row.sequences).padStart(10)}  ${String(row.batch_size).padStart(5)}  ${String(row.prompt_tokens).padStart(13)}  ` +
        `${String(row.bare_input_tokens).padStart(20)}  ${String(row.generated_tokens).padStart(16)}  ` +
        `${row.bare_tokens_per_s.toFixed(1).padStart(13)}  ${row.runtime_tokens_per_s.toFixed(1).padStart(16)}` +
        `  ${row.ratio.toFixed(2).padStart(5)}  ${t === null ? "" : `>= ${t} ${row.ratio >= t ? "met" : "MISSED"}`}`);
}
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end ${loadavg()[0]!.toFixed(1)}: on a shared machine the numbers are noisy, compare the ratio)`);
if (args.json) {
    writeFileSync(args.json, JSON.stringify({rows}, null, 2) + "\n");
    console.log(`wrote ${args.json}`);
}
await model.dispose();

/** Bare node-llama-cpp: N sequences of one context, default batching, one chat session each;
 * the pool's batch size and chat template, and no system prompt, so both sides evaluate the same tokens. */
async function bareRun(model: LlamaModel, n: number, tokens: number, batchSize: number): Promise<{tokensPerS: number, inputTokens: number}> {
    const context = await model.createContext({sequences: n, contextSize, threads, batchSize});
    try {
        const bias = new TokenBias(model.tokenizer);
        bias.set(endOfGeneration, "never");
        const sequences = Array.from({length: n}, () => context.getSequence());
        const sessions = sequences.map((contextSequence) => {
            const session = new LlamaChatSession({contextSequence, chatWrapper});
            session.setChatHistory([]);  // drop the default system prompt: the pool sends none
            return session;
        });
        let generated = 0;
        const t0 = performance.now();
        await Promise.all(sessions.map((s) => s.prompt(prompt, {
            maxTokens: tokens, temperature: 0, repeatPenalty: false, tokenBias: bias, onToken: (t) => { generated += t.length; }
        })));
        const seconds = (performance.now() - t0) / 1000;
        check("bare", generated, n * tokens);
        return {tokensPerS: generated / seconds, inputTokens: sequences.reduce((sum, q) => sum + q.tokenMeter.usedInputTokens, 0)};
    } finally {
        await context.dispose();
    }
}

/** The runtime: GenerationPool with the same requests. */
async function runtimeRun(llama: Llama, model: LlamaModel, n: number, tokens: number): Promise<{tokensPerS: number, batchSize: number}> {
    const pool = await GenerationPool.create(llama, model, {parallel: n, contextSize, threads});
    try {
        const t0 = performance.now();
        await Promise.all(Array.from({length: n}, () => pool.generate({
            messages: [{role: "user", content: prompt}], bannedTokens: endOfGeneration,
            sampling: {temperature: 0, maxTokens: tokens, repeatPenalty: 1}
        })));
        const seconds = (performance.now() - t0) / 1000;
        if (tokens === tokensPerSequence) check("runtime", pool.generatedTokens, n * tokens);
        return {tokensPerS: pool.generatedTokens / seconds, batchSize: pool.context.batchSize};
    } finally {
        await pool.dispose();
    }
}

/** Every token llama.cpp treats as end of generation (the Qwen vocabulary has several). */
function eogTokens(model: LlamaModel, path: string): Token[] {
    const vocab = (readGgufHeader(path).metadata.get("tokenizer.ggml.tokens") as string[]).length;
    const out: Token[] = [];
    for (let id = 0; id < vocab; id++) if (model.isEogToken(id as Token)) out.push(id as Token);
    return out;
}

function check(side: string, got: number, expected: number) {
    if (got !== expected) console.warn(`warning: ${side} generated ${got} tokens, expected ${expected}; tokens/s uses the real count`);
}

function round(x: number, digits = 1): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}
