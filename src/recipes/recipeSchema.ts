import {z} from "zod";
import {defaultActivationMemoryMb} from "../engine/defaultActivationMemoryMb.js";
import {enginePrecisions, loraTargets} from "../engine/TrainEngine.js";

/**
 * The recipe: every setting of a `ditto train` run, with every default written here and nowhere
 * else. Objects are strict, so a typo in a key is an error, not a silently ignored setting.
 * Keys are snake_case as in the YAML files.
 */

/** A model reference: a catalogue name (models/catalogue.yaml), a path to a .gguf, or `fixture:ARCH-SIZE-TYPE`. */
const modelRef = z.string().min(1, "a model name or path is required");

const samplingSchema = z.strictObject({
    temperature: z.number().min(0).max(5).default(0.7),
    top_p: z.number().gt(0).max(1).default(0.8),
    top_k: z.number().int().min(0).default(0),
    repeat_penalty: z.number().min(1).max(3).default(1.1),
    max_tokens: z.number().int().min(1).max(32768).default(512)
});

export const filterNames = ["empty", "truncated", "duplicate", "near_duplicate", "language", "role_break", "length", "self_check"] as const;
export type FilterName = typeof filterNames[number];

export const characterSources = ["file", "elicit", "wikidata", "cards"] as const;

export const recipeSchema = z.strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "lower-case letters, digits, '.', '_' and '-'"),
    description: z.string().default(""),
    seed: z.number().int().min(0).default(1),
    models: z.strictObject({
        /** writes the data (queries and answers) */
        generator: modelRef,
        /** is trained; differs from generator for cross-supervision (paper section 6). Default: generator */
        student: modelRef.optional(),
        /** judges the evaluation. Default: student (without adapter) */
        judge: modelRef.optional()
    }),
    runtime: z.strictObject({
        /** in-process: llama.cpp in this process; openai-compatible: a server the user runs (llama.cpp server, vLLM) generates */
        backend: z.enum(["in-process", "openai-compatible"]).default("in-process"),
        /** for openai-compatible: e.g. http://gpu-box:8080/v1 */
        base_url: z.string().url().optional(),
        /** for openai-compatible: the model name the server expects (default: the generator's name) */
        remote_model: z.string().optional(),
        /** for openai-compatible: environment variable holding the API key, if the server wants one */
        api_key_env: z.string().default("OPENAI_API_KEY"),
        gpu: z.enum(["auto", "cuda", "vulkan", "metal", "cpu"]).default("auto"),
        /** default: physical cores */
        threads: z.number().int().min(1).optional(),
        /** conversations generated at once */
        parallel: z.number().int().min(1).max(512).default(8),
        /** tokens per conversation */
        context_size: z.number().int().min(256).default(4096)
    }).prefault({}).refine((r) => r.backend !== "openai-compatible" || r.base_url !== undefined,
        {message: "runtime.base_url is required when runtime.backend is openai-compatible", path: ["base_url"]}),
    characters: z.strictObject({
        source: z.enum(characterSources).default("elicit"),
        /** profile files (JSONL, JSON, YAML) for source: file; character cards (PNG, JSON) or folders of them for source: cards; relative to the recipe */
        files: z.array(z.string()).default([]),
        /** dumps, for source: wikidata */
        wikidata: z.string().optional(),
        wikipedia: z.string().optional(),
        /** characters to use (elicit: to ask for; file/wikidata: at most this many, most popular first) */
        count: z.number().int().min(2).default(20),
        languages: z.array(z.string().min(2)).min(1).default(["en"]),
        /** held-out characters for evaluation, never trained on */
        held_out: z.number().int().min(0).default(2),
        /** longest profile text given to the model, in characters, cut at whole sentences; queries and responses also cut it to fit runtime.context_size in tokens */
        max_profile_chars: z.number().int().min(200).default(6000),
        /** elicit: names asked for per listing call (the model lists, then writes each profile) */
        elicit_batch: z.number().int().min(1).max(100).default(20),
        /** elicit: most listing calls per language before settling for fewer characters than count */
        elicit_rounds: z.number().int().min(1).max(100).default(8)
    }).prefault({}),
    generate: z.strictObject({
        queries_per_pair: z.number().int().min(1).max(20).default(3),
        /** query samples drawn per pair; the first valid one is kept (paper: 3) */
        samples: z.number().int().min(1).max(10).default(3),
        both_directions: z.boolean().default(true),
        /** turns per training session (paper: about 5) */
        turns_per_session: z.number().int().min(1).max(50).default(5),
        /** keep the profile in the training system prompt (off: the model must recall it) */
        profile_in_system: z.boolean().default(false),
        /** longest simulated question, in characters (a grammar limit, so a sample never runs on) */
        question_max_chars: z.number().int().min(8).max(2000).default(200),
        /** folder with prompt template overrides, relative to the recipe */
        prompts: z.string().optional(),
        query_sampling: samplingSchema.prefault({temperature: 0.9, top_p: 0.95, max_tokens: 256}),
        sampling: samplingSchema.prefault({})
    }).prefault({}),
    filters: z.strictObject({
        enabled: z.array(z.enum(filterNames)).default(["empty", "truncated", "duplicate", "near_duplicate", "language", "role_break", "length"]),
        min_chars: z.number().int().min(0).default(2),
        max_chars: z.number().int().min(1).default(4000),
        near_duplicate_threshold: z.number().gt(0).max(1).default(0.9)
    }).prefault({}),
    train: z.strictObject({
        lora: z.strictObject({
            rank: z.number().int().min(1).max(1024).default(16),
            alpha: z.number().gt(0).default(32),
            dropout: z.number().min(0).lt(1).default(0.05),
            targets: z.array(z.enum(loraTargets)).min(1).default([...loraTargets])
        }).prefault({}),
        optim: z.strictObject({
            lr: z.number().gt(0).max(1).default(2e-4),
            /** fraction of steps spent warming up */
            warmup: z.number().min(0).max(1).default(0.03),
            schedule: z.enum(["cosine", "constant"]).default("cosine"),
            /** the schedule's floor as a fraction of lr */
            min_lr_ratio: z.number().min(0).max(1).default(0.1),
            weight_decay: z.number().min(0).default(0),
            clip: z.number().min(0).default(1)
        }).prefault({}),
        batch: z.strictObject({
            sequences: z.number().int().min(1).default(4),
            seq_len: z.number().int().min(16).default(2048),
            grad_accum: z.number().int().min(1).default(4),
            pack: z.boolean().default(true)
        }).prefault({}),
        /** MB of activations kept for the backward instead of recomputed; the memory plan lowers it (and the micro-batch) when memory is short */
        activation_memory_mb: z.number().int().min(0).default(defaultActivationMemoryMb),
        epochs: z.number().int().min(1).default(3),
        max_steps: z.number().int().min(1).optional(),
        eval_fraction: z.number().min(0).lt(1).default(0.05),
        save_every: z.number().int().min(1).default(50),
        device: z.enum(["auto", "cpu", "cuda"]).default("auto"),
        /** products with the frozen weights: fp32 (exact) or bf16 (CPU engine with AVX512-BF16; F16/BF16 weights) */
        precision: z.enum(enginePrecisions).default("fp32")
    }).prefault({}),
    eval: z.strictObject({
        /** judge samples per judgement (paper: 3), at this temperature (paper: 0.2) */
        samples: z.number().int().min(1).max(10).default(3),
        temperature: z.number().min(0).max(2).default(0.2),
        /** turns per evaluation session */
        turns: z.number().int().min(1).max(50).default(5),
        max_tokens: z.number().int().min(1).default(256),
        /** also answer with the base model, for the side-by-side report */
        compare_base: z.boolean().default(true),
        /** sampling temperature of the model under test while it answers */
        answer_temperature: z.number().min(0).max(2).default(0.7),
        /** longest judge output; the outputs are short JSON, so a hit means the judge failed */
        judge_max_tokens: z.number().int().min(1).default(48),
        /** extra attempts (new seed) when a judge sample returns nothing valid; then it is recorded as a failure */
        judge_retries: z.number().int().min(0).max(10).default(2),
        /** questions per held-out character when the eval set generates its own (own and partner, each) */
        questions: z.number().int().min(1).max(20).default(3)
    }).prefault({})
});

export type RecipeInput = z.input<typeof recipeSchema>;
export type Recipe = z.output<typeof recipeSchema>;
