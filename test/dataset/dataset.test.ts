import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {exportDataset} from "../../src/dataset/exportDataset.js";
import {datasetStats} from "../../src/dataset/datasetStats.js";
import {formatDatasetStats} from "../../src/dataset/formatDatasetStats.js";
import {toTrainingExample} from "../../src/dataset/toTrainingExample.js";
import {trainingExampleSchema} from "../../src/dataset/trainingExampleSchema.js";
import {DittoError} from "../../src/errors/DittoError.js";

const run = mkdtempSync(join(tmpdir(), "ditto-ds-"));
const jsonl = (name: string, rows: unknown[]) => writeFileSync(join(run, name), rows.map((r) => JSON.stringify(r) + "\n").join(""));
const session = {id: "s-1", character: "c-ada", lang: "en", system: "You are Ada Lovelace, mathematician.",
    turns: [{question: "What is the engine?", answer: "A machine of numbers.", provenance: "own" as const, turn: "t-1"},
        {question: "What is a smartphone?", answer: "I know no such thing.", provenance: "partner" as const, turn: "t-2"}]};
jsonl("dataset.jsonl", [toTrainingExample(session)]);
jsonl("characters.jsonl", [{id: "c-ada", label: "Ada", description: "m", aliases: [], claims: [], summary: "", lang: "en", category: "real person", source: "file"}]);
jsonl("responses.jsonl", session.turns.map((t, i) => ({id: t.turn, query: `q-${i}`, character: "c-ada", question: t.question, answer: t.answer, provenance: t.provenance, finish: "stop", tokens: 5 + i})));
jsonl("rejected.jsonl", [{id: "t-9", stage: "filter", reason: "empty", detail: "no words", record: {}}, {id: "g-1", stage: "queries", reason: "no_valid_sample", detail: "x", record: {}}]);

test("training lines: OpenAI messages with own/partner labels, read back by the shared schema", () => {
    const line = trainingExampleSchema.parse(JSON.parse(readFileSync(join(run, "dataset.jsonl"), "utf8")));
    assert.deepEqual(line.messages.map((m) => m.role), ["system", "user", "assistant", "user", "assistant"]);
    assert.deepEqual(line.meta, {id: "s-1", character: "c-ada", lang: "en", provenance: ["own", "partner"]});
});

test("export sharegpt and stats", () => {
    const out = join(run, "share.jsonl");
    assert.equal(exportDataset(run, "sharegpt", out), 1);
    const sg = JSON.parse(readFileSync(out, "utf8")) as {conversations: {from: string, value: string}[]};
    assert.deepEqual(sg.conversations.map((c) => c.from), ["system", "human", "gpt", "human", "gpt"]);
    const s = datasetStats(run);
    assert.deepEqual(s.turns, {total: 2, own: 1, partner: 1});
    assert.equal(s.sessions, 1);
    assert.equal(s.answerTokens, 11);
    assert.deepEqual(s.drops, {"filter/empty": 1, "queries/no_valid_sample": 1});
    assert.deepEqual(s.languages, {en: {sessions: 1, turns: 2}});
    assert.match(formatDatasetStats(s), /dropped filter\/empty\s+1/);
});

test("a run folder without a data set, or a damaged line, is a clear error", () => {
    const empty = mkdtempSync(join(tmpdir(), "ditto-ds-empty-"));
    assert.throws(() => datasetStats(empty), (e: unknown) => e instanceof DittoError && e.code === "RUN_FILE_MISSING");
    writeFileSync(join(empty, "dataset.jsonl"), "{\"messages\": 3}\n");
    assert.throws(() => exportDataset(empty, "sharegpt", join(empty, "x.jsonl")), (e: unknown) => e instanceof DittoError && /dataset\.jsonl:1: messages/.test(e.message));
});
