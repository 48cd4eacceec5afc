import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {importWikiRoleEval} from "../../src/eval/importWikiRoleEval.js";
import {DittoError} from "../../src/errors/DittoError.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-wre-"));
const good = [
    // fields at the top level, one candidate list for the whole session, truth found by name
    {system: "You are Alan Turing, a British mathematician.", prompts: ["What is the Turing test?", "Who painted the Mona Lisa?"],
        ref_messages: ["A test of machine intelligence.", "That is outside what I know."],
        role_consist_cands: ["[Ada Lovelace] a mathematician", "[Alan Turing] a British mathematician", "[李白] 唐代诗人", "[Napoleon] an emperor"],
        rejection_labels: [0, 1], evidence: [["known for: Turing test"], []], meta: {name: "Alan Turing", lang: "en", id: "turing"}},
    // everything inside meta, per-turn candidate lists, an explicit truth index, boolean labels
    {ref_messages: [{role: "user", content: "你写过什么诗?"}, {role: "assistant", content: "《静夜思》。"}],
        meta: {system: "你是李白。", prompts: [{role: "user", content: "你写过什么诗?"}], role_consist_cands: [["[杜甫] 诗人", "[李白] 诗人"]],
        role_consist_label: 1, reject: [false], evidence: ["作品: 静夜思"], label: "李白"}}
];

test("imports a WikiRoleEval JSONL file with fields at the top level or inside meta", () => {
    const path = join(dir, "good.jsonl");
    writeFileSync(path, good.map((g) => JSON.stringify(g)).join("\n") + "\n");
    const sessions = importWikiRoleEval(path);
    assert.equal(sessions.length, 2);
    const [a, b] = sessions;
    assert.equal(a!.id, "turing");
    assert.equal(a!.lang, "en");
    assert.deepEqual(a!.turns.map((t) => [t.gold, t.provenance, t.truth]), [["answer", "own", 1], ["refuse", "partner", 1]]);
    assert.equal(a!.turns[0]!.reference, "A test of machine intelligence.");
    assert.deepEqual(a!.turns[0]!.evidence, ["known for: Turing test"]);
    assert.equal(b!.lang, "zh", "detected from the text");
    assert.equal(b!.label, "李白");
    assert.equal(b!.turns[0]!.question, "你写过什么诗?");
    assert.equal(b!.turns[0]!.truth, 1);
    assert.deepEqual(b!.turns[0]!.evidence, ["作品: 静夜思"]);
    assert.equal(b!.turns[0]!.reference, "《静夜思》。", "the assistant message of ref_messages");
    assert.equal(b!.source, "wikiroleeval");
});

const bad: [string, unknown, RegExp][] = [
    ["candidates missing", {...good[0], role_consist_cands: undefined}, /bad\.jsonl:2: role_consist_cands: missing/],
    ["labels of the wrong length", {...good[0], rejection_labels: [0]}, /bad\.jsonl:2: rejection_labels: expected a list of 2 labels/],
    ["a label that is not 0/1", {...good[0], rejection_labels: [0, "maybe"]}, /bad\.jsonl:2: rejection_labels\[1\]: expected 1\/0/],
    ["no true candidate", {...good[0], meta: {name: "Grace Hopper"}}, /bad\.jsonl:2: role_consist_cands\[0\]: no candidate is the session's character "Grace Hopper"/],
    ["prompts not a list", {...good[0], prompts: "hi"}, /bad\.jsonl:2: prompts: expected a list, got string/],
    ["no system line", {...good[0], system: ""}, /bad\.jsonl:2: system: expected the one-line system prompt/]
];
for (const [name, record, message] of bad) {
    test(`a malformed eval file names file:line: field: ${name}`, () => {
        const path = join(dir, "bad.jsonl");
        writeFileSync(path, JSON.stringify(good[1]) + "\n" + JSON.stringify(record) + "\n");
        assert.throws(() => importWikiRoleEval(path), (err: unknown) => err instanceof DittoError && err.code === "EVAL_FORMAT" && message.test(err.message));
    });
}

test("a line that is not JSON", () => {
    const path = join(dir, "broken.jsonl");
    writeFileSync(path, JSON.stringify(good[0]) + "\n{oops\n");
    assert.throws(() => importWikiRoleEval(path), /broken\.jsonl:2: not valid JSON/);
});
