import {writeFileSync} from "node:fs";
import {join} from "node:path";
import {stringify} from "yaml";
import {fixtureModel} from "../helpers/fixtureModel.js";

/** Six characters, two eras and both categories, in English; the tests' character file. */
export const testCharacters = [
    {label: "Ada Lovelace", description: "English mathematician and writer", claims: ["date of birth: 1815", "occupation: mathematician"], category: "real person"},
    {label: "Sherlock Holmes", description: "fictional consulting detective in London", claims: ["creator: Arthur Conan Doyle"], category: "fictional character"},
    {label: "Zhuge Liang", description: "chancellor of the state of Shu Han", claims: ["date of birth: 181", "occupation: strategist"], category: "real person"},
    {label: "Captain Nemo", description: "fictional captain of the submarine Nautilus", claims: ["creator: Jules Verne"], category: "fictional character"},
    {label: "Marie Curie", description: "physicist and chemist", claims: ["date of birth: 1867", "award received: Nobel Prize in Physics"], category: "real person"},
    {label: "Frodo Baggins", description: "hobbit of the Shire", claims: ["present in work: The Lord of the Rings"], category: "fictional character"}
];

/**
 * Writes characters.jsonl and recipe.yaml into `dir` for a small, fast run on the tiny fixture.
 * threads 1: on a shared 2-core machine llama.cpp's worker threads spin-wait against other
 * processes and run many times slower with 2 threads than with 1.
 */
export function writeTestRecipe(dir: string, patch: {parallel?: number, filters?: string[], characters?: number, extra?: Record<string, unknown>} = {}): string {
    writeFileSync(join(dir, "characters.jsonl"), testCharacters.slice(0, patch.characters ?? 6).map((c) => JSON.stringify(c)).join("\n") + "\n");
    const recipe = {
        name: "test", seed: 5,
        models: {generator: fixtureModel("qwen2", "q8_0")},
        runtime: {gpu: "cpu", parallel: patch.parallel ?? 2, context_size: 1024, threads: 1},
        characters: {source: "file", files: ["characters.jsonl"], count: 6, held_out: 1},
        generate: {
            queries_per_pair: 2, samples: 2, question_max_chars: 16, turns_per_session: 3,
            query_sampling: {temperature: 1.0, top_p: 0.95, top_k: 40, max_tokens: 80},
            sampling: {temperature: 0.8, top_k: 40, max_tokens: 10}
        },
        filters: {enabled: patch.filters ?? []},
        ...patch.extra
    };
    const file = join(dir, "recipe.yaml");
    writeFileSync(file, stringify(recipe));
    return file;
}
