// npm run bench:pipeline [-- --json FILE] [--parallel 32] [--tokens 48] [--threads N] [--gpu auto] [--repeat 1] [--model fixture:qwen2-bench-0.5b-q8_0]
//
// Generated tokens/s of the pipeline's response stage (simulateResponses: prompt rendering with the
// profile, one call per query, records appended to a resumable JSONL store) at 32-way parallelism,
// against (a) the runtime's own batched generation (GenerationPool.generate with the very same
// messages) and (b) bare node-llama-cpp as a user would write it (createContext({sequences: 32}),
// one LlamaChatSession per sequence, default batching). Same model, same run, same prompts, same
// sampling and seeds, and the same number of tokens: end-of-generation tokens are banned on all
// three, so a random-weight model cannot stop early. Prints a table and the ratios.
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {loadavg, tmpdir} from "node:os";
import {join} from "node:path";
import {performance} from "node:perf_hooks";
import {parseArgs} from "node:util";
import {LlamaChatSession, TokenBias, type LlamaModel, type Token} from "node-llama-cpp";
import type {Character} from "../src/characters/characterSchema.js";
import {renderProfile} from "../src/characters/renderProfile.js";
import type {Generator} from "../src/generate/Generator.js";
import {PromptTemplates} from "../src/generate/PromptTemplates.js";
import {readGgufHeader} from "../src/gguf/readGgufHeader.js";
import {resolveModelRef} from "../src/models/resolveModelRef.js";
import type {Query} from "../src/queries/querySchema.js";
import {simulateResponses} from "../src/responses/simulateResponses.js";
import type {Turn} from "../src/responses/turnSchema.js";
import {JsonlStore} from "../src/runs/JsonlStore.js";
import {seedFor} from "../src/runs/seedFor.js";
import type {ChatMessage, Sampling} from "../src/runtime/generationTypes.js";
import {GenerationPool} from "../src/runtime/GenerationPool.js";
import {loadModel} from "../src/runtime/loadModel.js";
import {gpuChoices, openLlama, type GpuChoice} from "../src/runtime/openLlama.js";
import {physicalCores, resolveThreads} from "../src/runtime/physicalCores.js";

const {values: args} = parseArgs({options: {
    json: {type: "string"},
    parallel: {type: "string", default: "32"},
    tokens: {type: "string", default: "48"},
    threads: {type: "string"},
    gpu: {type: "string", default: "auto"},
    model: {type: "string", default: "fixture:qwen2-bench-0.5b-q8_0"},
    repeat: {type: "string", default: "1"}
}});
if (!(gpuChoices as readonly string[]).includes(args.gpu!)) throw new Error(`--gpu must be one of ${gpuChoices.join(", ")}`);
const parallel = Number(args.parallel);
const tokens = Number(args.tokens);
const threads = resolveThreads(args.threads === undefined ? undefined : Number(args.threads));
const maxProfileChars = 600;
const contextSize = 1024;
const runSeed = 1;
const sampling: Sampling = {temperature: 0.7, topP: 0.8, topK: 0, repeatPenalty: 1.1, maxTokens: tokens};

// one query per sequence: characters answering each other's questions, as the stage sees them
const names = ["Ada Lovelace", "Zhuge Liang", "Sherlock Holmes", "Marie Curie", "Captain Nemo", "Li Bai", "Frodo Baggins", "Hypatia"];
const characters = new Map<string, Character>(names.map((label, i) => [`c-${i}`, {id: `c-${i}`, label, description: `${label}, as the stories tell`,
    aliases: [], claims: [`occupation: ${["mathematician", "strategist", "detective", "physicist", "captain", "poet", "hobbit", "philosopher"][i]}`],
    summary: `${label} lived a long and eventful life, remembered for work, travels and the people met along the way.`, lang: "en",
    category: i % 2 ? "fictional character" : "real person", source: "file"}]));
const questions = ["What do you do on a quiet morning?", "Which tool do you rely on most?", "Who taught you the most?", "What does your home look like?"];
const queries: Query[] = Array.from({length: parallel}, (_, i) => ({id: `q-${String(i).padStart(4, "0")}`, pair: "p-0", asker: `c-${i % names.length}`,
    owner: `c-${i % names.length}`, provenance: "own", lang: "en", question: questions[i % questions.length]!}));

const started = Date.now();
const modelPath = resolveModelRef(args.model!); // makes the fixture on first use (a minute or two for bench-0.5b)
const llama = await openLlama(args.gpu as GpuChoice);
const model = await loadModel(llama, modelPath);
const banned = eogTokens(model, modelPath);
const prompts = new PromptTemplates();
// the exact messages the stage sends, for the two references
const messages: ChatMessage[][] = queries.map((q) => {
    const c = characters.get(q.asker)!;
    return [{role: "system", content: prompts.render("response", q.lang, {label: c.label, description: c.description, profile: renderProfile(c, maxProfileChars)})},
        {role: "user", content: q.question}];
});
console.log(`model ${modelPath}\nbackend ${llama.gpu === false ? "cpu" : llama.gpu}, ${threads} threads (${physicalCores()} physical cores), ` +
    `${parallel} sequences x ${tokens} tokens, load average ${loadavg()[0]!.toFixed(1)}`);

await warmUp(); // page the weights in before the first measurement
// best of `repeat`, sides interleaved: other processes on a shared machine only ever slow a run down
type Measured = Awaited<ReturnType<typeof measure>>;
const best = (a: Measured | undefined, b: Measured) => (a && a.rate >= b.rate ? a : b);
let pipeline: Measured | undefined, runtime: Measured | undefined, bare: Measured | undefined;
for (let r = 0; r < Math.max(1, Number(args.repeat)); r++) {
    pipeline = best(pipeline, await pipelineRun());
    runtime = best(runtime, await runtimeRun());
    bare = best(bare, await bareRun());
}
const rows = [["pipeline (simulateResponses)", pipeline!], ["runtime (GenerationPool)", runtime!], ["bare node-llama-cpp", bare!]] as const;
console.log(`\n side                          tokens  seconds  tokens/s`);
for (const [name, r] of rows) console.log(` ${name.padEnd(28)}  ${String(r.tokens).padStart(6)}  ${r.seconds.toFixed(1).padStart(7)}  ${r.rate.toFixed(1).padStart(8)}`);
const result = {
    pipeline_tokens_per_s: round(pipeline!.rate), runtime_tokens_per_s: round(runtime!.rate), bare_tokens_per_s: round(bare!.rate),
    ratio_vs_runtime: round(pipeline!.rate / runtime!.rate, 3), ratio_vs_bare: round(pipeline!.rate / bare!.rate, 3)
};
console.log(`\n pipeline / runtime ${result.ratio_vs_runtime.toFixed(3)} (target >= 0.9), pipeline / bare ${result.ratio_vs_bare.toFixed(3)}`);
console.log(` (${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end ${loadavg()[0]!.toFixed(1)}: on a shared machine absolute numbers are noisy, compare the ratios)`);
if (args.json) {
    writeFileSync(args.json, JSON.stringify(result, null, 2) + "\n");
    console.log(`wrote ${args.json}`);
}
await model.dispose();

/** The response stage itself, writing its JSONL store in a scratch folder. */
async function pipelineRun() {
    const dir = mkdtempSync(join(tmpdir(), "ditto-bench-pipeline-"));
    const pool = await GenerationPool.create(llama, model, {parallel, contextSize, threads});
    try {
        // only addition: the end-of-generation ban, so every side makes the same number of tokens
        const generator: Generator = {generate: (req) => pool.generate({...req, bannedTokens: banned})};
        const store = JsonlStore.open<Turn>(join(dir, "responses.jsonl"));
        const t0 = performance.now();
        await simulateResponses({generator, prompts, queries, characters, maxProfileChars, sampling, seed: runSeed, store});
        store.finalize((a, b) => a.id < b.id ? -1 : 1);
        return measure("pipeline", pool.generatedTokens, t0);
    } finally {
        await pool.dispose();
        rmSync(dir, {recursive: true, force: true});
    }
}

async function warmUp() {
    const pool = await GenerationPool.create(llama, model, {parallel: 1, contextSize, threads});
    try { await pool.generate({messages: [{role: "user", content: "Hello"}], sampling: {maxTokens: 4}}); } finally { await pool.dispose(); }
}

/** GenerationPool with the same messages, sampling and seeds. */
async function runtimeRun(maxTokens = tokens) {
    const pool = await GenerationPool.create(llama, model, {parallel, contextSize, threads});
    try {
        const t0 = performance.now();
        await Promise.all(queries.map((q, i) => pool.generate({messages: messages[i]!, bannedTokens: banned,
            sampling: {...sampling, maxTokens, seed: seedFor(runSeed, "t-" + q.id.slice(2))}})));
        return measure("runtime", pool.generatedTokens, t0, maxTokens);
    } finally {
        await pool.dispose();
    }
}

/** Bare node-llama-cpp: one context of N sequences, default batching, a LlamaChatSession each. */
async function bareRun() {
    const context = await model.createContext({sequences: parallel, contextSize, threads});
    try {
        const bias = new TokenBias(model.tokenizer);
        bias.set(banned, "never");
        // sessions made before the clock starts, as the pools' sequences are
        const sessions = queries.map((_, i) => new LlamaChatSession({contextSequence: context.getSequence(), systemPrompt: messages[i]![0]!.content}));
        let generated = 0;
        const t0 = performance.now();
        await Promise.all(queries.map((q, i) => {
            return sessions[i]!.prompt(q.question, {maxTokens: tokens, temperature: sampling.temperature, topP: sampling.topP,
                repeatPenalty: {penalty: sampling.repeatPenalty}, seed: seedFor(runSeed, "t-" + q.id.slice(2)), tokenBias: bias,
                onToken: (t) => { generated += t.length; }});
        }));
        return measure("bare", generated, t0);
    } finally {
        await context.dispose();
    }
}

function measure(side: string, generated: number, t0: number, maxTokens = tokens) {
    const seconds = (performance.now() - t0) / 1000;
    if (generated !== parallel * maxTokens) console.warn(`warning: ${side} generated ${generated} tokens, expected ${parallel * maxTokens}; tokens/s uses the real count`);
    return {tokens: generated, seconds, rate: generated / seconds};
}

/** Every token llama.cpp treats as end of generation (the Qwen vocabulary has several). */
function eogTokens(m: LlamaModel, path: string): Token[] {
    const vocab = (readGgufHeader(path).metadata.get("tokenizer.ggml.tokens") as string[]).length;
    const out: Token[] = [];
    for (let id = 0; id < vocab; id++) if (m.isEogToken(id as Token)) out.push(id as Token);
    return out;
}

function round(x: number, digits = 1): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}

