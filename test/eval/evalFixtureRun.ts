import {mkdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import type {LoraPair} from "../../src/engine/TrainEngine.js";
import {Rng} from "../../src/random/Rng.js";
import {fixtureShape} from "../../src/fixtures/fixtureSpecs.js";
import {recipeSchema, type Recipe, type RecipeInput} from "../../src/recipes/recipeSchema.js";

/** Six characters: four for training, two held out (one English, one Chinese, so the report has two languages). */
export const fixtureCharacters = [
    {id: "ada", label: "Ada Lovelace", description: "an English mathematician who wrote the first computer program", lang: "en",
        claims: ["occupation: mathematician", "known for: notes on the Analytical Engine", "father: Lord Byron"]},
    {id: "nap", label: "Napoleon Bonaparte", description: "a French military leader and emperor", lang: "en",
        claims: ["occupation: emperor of the French", "battle: Austerlitz", "exile: Saint Helena"]},
    {id: "hol", label: "Sherlock Holmes", description: "a fictional consulting detective in London", lang: "en",
        claims: ["address: 221B Baker Street", "friend: Dr Watson", "instrument: violin"]},
    {id: "cur", label: "Marie Curie", description: "a physicist and chemist who studied radioactivity", lang: "en",
        claims: ["discovered: polonium and radium", "awards: two Nobel Prizes"]},
    {id: "lib", label: "李白", description: "唐代诗人", lang: "zh", claims: ["朝代: 唐朝", "作品: 静夜思"]},
    {id: "tur", label: "Alan Turing", description: "a British mathematician and codebreaker", lang: "en",
        claims: ["occupation: mathematician", "work: breaking the Enigma cipher at Bletchley Park"]}
].map((c) => ({aliases: [], summary: "", category: "human", source: "file" as const, ...c}));

export const heldOutIds = ["tur", "lib"];

/**
 * A run folder as the pipeline leaves it: characters, the split in manifest.json, queries (also for
 * the held-out characters unless `heldOutQueries: false`), a training data set of the training
 * characters only (unless `leak`), and a loss log.
 */
export function makeFixtureRun(dir: string, options: {heldOutQueries?: boolean, leak?: boolean} = {}): void {
    mkdirSync(join(dir, "train"), {recursive: true});
    const jsonl = (name: string, rows: unknown[]) => writeFileSync(join(dir, name), rows.map((r) => JSON.stringify(r) + "\n").join(""));
    jsonl("characters.jsonl", fixtureCharacters);
    const train = fixtureCharacters.filter((c) => !heldOutIds.includes(c.id)).map((c) => c.id);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({split: {train, eval: heldOutIds}}));
    const q = (asker: string, owner: string, provenance: "own" | "partner", lang: string, question: string, i: number) =>
        ({id: `q-${asker}-${provenance}-${i}`, pair: `${asker}-${owner}`, asker, owner, provenance, lang, question});
    const queries = [
        q("ada", "ada", "own", "en", "How did you meet Charles Babbage?", 0),
        q("ada", "nap", "partner", "en", "How did you win at Austerlitz?", 0)
    ];
    if (options.heldOutQueries ?? true) queries.push(
        q("tur", "tur", "own", "en", "What was your work at Bletchley Park?", 0),
        q("tur", "tur", "own", "en", "Are you a mathematician?", 1),
        q("tur", "lib", "partner", "en", "Can you recite a Tang dynasty poem?", 0),
        q("lib", "lib", "own", "zh", "你最有名的诗是什么?", 0),
        q("lib", "tur", "partner", "zh", "你是怎么破解恩尼格玛密码的?", 0)
    );
    jsonl("queries.jsonl", queries);
    const dataset = train.map((id) => {
        const c = fixtureCharacters.find((x) => x.id === id)!;
        return {messages: [{role: "system", content: `You are ${c.label}, ${c.description}.`}, {role: "user", content: "Hello?"}, {role: "assistant", content: "Good day."}],
            meta: {id: `s-${id}`, character: id, lang: c.lang, provenance: ["own"]}};
    });
    if (options.leak) dataset.push({messages: [{role: "system", content: "You are Alan Turing, a British mathematician."}, {role: "user", content: "Hi"}, {role: "assistant", content: "Hello."}],
        meta: {id: "s-leak", character: "tur", lang: "en", provenance: ["own"]}});
    jsonl("dataset.jsonl", dataset);
    jsonl("train/loss.jsonl", [{step: 1, loss: 2.5}, {step: 2, loss: 2.1, eval_loss: 2.3}, {step: 3, loss: 1.8}, {step: 4, loss: 1.6, eval_loss: 1.9}]);
}

/** A small random LoRA adapter on q and v of the tiny qwen2 fixture, as `ditto train` writes one. */
export function makeFixtureAdapter(path: string): void {
    const s = fixtureShape("tiny", "qwen2");
    const rng = new Rng(11);
    const fill = (n: number) => Float32Array.from({length: n}, () => (rng.next() * 2 - 1) * 0.3);
    const rank = 4, q = s.nHead * s.headDim, kv = s.nHeadKv * s.headDim;
    const pairs: LoraPair[] = [];
    for (let layer = 0; layer < s.nLayer; layer++) {
        pairs.push({layer, target: "q", nIn: s.nEmbd, nOut: q, a: fill(rank * s.nEmbd), b: fill(q * rank)});
        pairs.push({layer, target: "v", nIn: s.nEmbd, nOut: kv, a: fill(rank * s.nEmbd), b: fill(kv * rank)});
    }
    writeAdapterGguf(pairs, {arch: "qwen2", alpha: 8}, path);
}

/** A recipe sized for the tests: 2 cores, short outputs, one judge sample. */
export function fixtureRecipe(model: string, evalOverrides: RecipeInput["eval"] = {}): Recipe {
    return recipeSchema.parse({
        name: "eval-test",
        models: {generator: model},
        runtime: {gpu: "cpu", threads: 2, parallel: 2, context_size: 2048},
        characters: {max_profile_chars: 1000},
        generate: {samples: 1, query_sampling: {max_tokens: 8}},
        eval: {samples: 1, turns: 2, max_tokens: 16, judge_max_tokens: 24, judge_retries: 1, ...evalOverrides}
    });
}
