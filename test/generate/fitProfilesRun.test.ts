import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {generateDataset} from "../../src/generate/generateDataset.js";
import type {StageProgress} from "../../src/generate/GenerateDatasetOptions.js";
import {StageProgressBars} from "../../src/generate/StageProgressBars.js";
import {loadRecipe} from "../../src/recipes/loadRecipe.js";
import {writeTestRecipe} from "./testRecipe.js";

// ~3,000 characters of Chinese prose each, many times what a 512-token context holds with two of them
const life = (who: string) => Array.from({length: 60}, (_, i) => `${who}在第${i + 1}年读书写字，走遍山川河流。`).join("");
const zh = [
    {label: "李白", description: "唐代诗人", claims: ["出生：701年", "职业：诗人"], summary: life("李白"), lang: "zh", category: "real person"},
    {label: "孙悟空", description: "《西游记》中的猴王", claims: ["作者：吴承恩"], summary: life("孙悟空"), lang: "zh", category: "fictional character"},
    {label: "诸葛亮", description: "蜀汉丞相", claims: ["出生：181年", "职业：政治家"], summary: life("诸葛亮"), lang: "zh", category: "real person"}
];

test("long Chinese profiles on a 512-token context: queries and responses run without overflow, and the manifest says what was cut", {timeout: 600_000}, async () => {
    const dir = mkdtempSync(join(tmpdir(), "ditto-fit-"));
    const file = writeTestRecipe(dir, {parallel: 1, extra: {
        runtime: {gpu: "cpu", parallel: 1, context_size: 512, threads: 1},
        characters: {source: "file", files: ["characters.jsonl"], count: 3, held_out: 0, languages: ["zh"], max_profile_chars: 20000},
        generate: {queries_per_pair: 1, samples: 1, question_max_chars: 16, both_directions: false,
            query_sampling: {temperature: 1.0, top_k: 40, max_tokens: 40}, sampling: {temperature: 0.8, top_k: 40, max_tokens: 8}}
    }});
    writeFileSync(join(dir, "characters.jsonl"), zh.map((c) => JSON.stringify(c)).join("\n") + "\n");
    const {recipe, dir: rdir} = loadRecipe(file);
    const events: StageProgress[] = [];
    const run = join(dir, "run");
    const res = await generateDataset({recipe, recipeDir: rdir, recipeFile: file, runDir: run,
        stages: ["characters", "pairs", "queries", "responses"], onProgress: (e) => events.push(e)});

    const q = res.manifest.stages.queries, r = res.manifest.stages.responses;
    const lines = (f: string) => readFileSync(join(run, f), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    const pairs = lines("pairs.jsonl");
    assert.equal(q.status, "done");
    assert.ok(q.count! > 0, "the JSON grammar keeps the tiny model's samples parseable");
    assert.equal(q.count! + 2 * (q.rejected ?? 0), 2 * pairs.length, "one direction, 1 question as own and partner");
    // no two of these profiles fit 512 tokens: every paired character is cut
    assert.equal(q.trimmed?.profiles, new Set(pairs.flatMap((p) => [p.a, p.b])).size);
    assert.ok(q.trimmed!.tokens > 1000, `queries cut ${q.trimmed!.tokens} tokens`);
    assert.equal(r.status, "done");
    assert.equal(r.count, q.count);
    const askers = new Set(lines("queries.jsonl").map((x) => x.asker));
    assert.equal(r.trimmed?.profiles, askers.size);
    assert.ok(r.trimmed!.tokens > 300 * askers.size, `responses cut ${r.trimmed!.tokens} tokens`);
    const written = JSON.parse(readFileSync(join(run, "manifest.json"), "utf8")) as {stages: {responses: {trimmed?: unknown}}};
    assert.deepEqual(written.stages.responses.trimmed, r.trimmed);
    const done = events.find((e) => e.stage === "queries" && e.event === "done");
    assert.deepEqual(done?.trimmed, q.trimmed);
    const said: string[] = [];
    const bars = new StageProgressBars("log", (l) => said.push(l));
    events.forEach(bars.onProgress);
    assert.ok(said.some((l) => l.includes(`queries    done: `) && l.endsWith(`; ${q.trimmed!.profiles} profile(s) cut by ${q.trimmed!.tokens} tokens to fit the context`)), said.join("\n"));
});
