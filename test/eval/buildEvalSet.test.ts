import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {buildEvalSet} from "../../src/eval/buildEvalSet.js";
import {renderProfile} from "../../src/characters/renderProfile.js";
import {findLeaks} from "../../src/eval/checkLeak.js";
import {pickEvidence} from "../../src/eval/pickEvidence.js";
import {makeCandidates} from "../../src/eval/makeCandidates.js";
import {DittoError} from "../../src/errors/DittoError.js";
import {fixtureCharacters, fixtureRecipe, makeFixtureRun} from "./evalFixtureRun.js";

const recipe = fixtureRecipe("fixture:qwen2-tiny-q8_0", {turns: 3});

test("eval set from the pipeline's queries: held-out characters only, gold labels, evidence, four seeded candidates", async () => {
    const run = mkdtempSync(join(tmpdir(), "ditto-evalset-"));
    makeFixtureRun(run);
    const a = await buildEvalSet({runDir: run, recipe});
    const first = readFileSync(a.path, "utf8");
    const b = await buildEvalSet({runDir: run, recipe});
    assert.equal(readFileSync(b.path, "utf8"), first, "same seed, same set");
    const tur = a.sessions.find((s) => s.character === "tur")!;
    assert.equal(tur.system, "You are Alan Turing, a British mathematician and codebreaker.");
    assert.equal(tur.turns.length, 3);
    assert.deepEqual(tur.turns.map((t) => t.provenance).sort(), ["own", "own", "partner"]);
    const bletchley = tur.turns.find((t) => t.question.includes("Bletchley"))!;
    assert.equal(bletchley.evidence[0], "work: breaking the Enigma cipher at Bletchley Park", "claim sharing words comes first");
    assert.equal(bletchley.gold, "answer");
    assert.equal(tur.turns.find((t) => t.provenance === "partner")!.gold, "refuse");
    assert.match(tur.profile, /Enigma/);
    // whole, not cut at characters.max_profile_chars: the judge cuts it in tokens when it reads it
    const small = await buildEvalSet({runDir: run, recipe: {...recipe, characters: {...recipe.characters, max_profile_chars: 40}}});
    const turing = fixtureCharacters.find((c) => c.id === "tur")!;
    assert.equal(small.sessions.find((s) => s.character === "tur")!.profile, renderProfile(turing, Number.MAX_SAFE_INTEGER));
    assert.ok(renderProfile(turing, Number.MAX_SAFE_INTEGER).length > 40);
    const lib = a.sessions.find((s) => s.character === "lib")!;
    assert.equal(lib.lang, "zh");
    assert.equal(lib.turns.length, 2, "only two questions exist for 李白");
    assert.deepEqual(a.generated, {model: 0, template: 0});
});

test("a held-out character in the training data is a leak: clear error naming file and line", async () => {
    const run = mkdtempSync(join(tmpdir(), "ditto-leak-"));
    makeFixtureRun(run, {leak: true});
    await assert.rejects(buildEvalSet({runDir: run, recipe}), (err: unknown) => {
        assert.ok(err instanceof DittoError);
        assert.equal(err.code, "EVAL_LEAK");
        assert.match(err.message, /dataset\.jsonl:5: held-out character "Alan Turing" \(character id "tur"\)/);
        assert.match(err.message, /dataset\.jsonl:5: held-out character "Alan Turing" \(label in a system message\)/);
        assert.match(err.hint ?? "", /split\.eval/);
        return true;
    });
    // a label mentioned in a training character's session (its partner question) is a leak too
    const run2 = mkdtempSync(join(tmpdir(), "ditto-leak2-"));
    makeFixtureRun(run2);
    writeFileSync(join(run2, "sessions.jsonl"), JSON.stringify({id: "s1", character: "ada", lang: "en", system: "You are Ada Lovelace.",
        turns: [{question: "Did you ever meet 李白 ?", answer: "No.", provenance: "partner"}]}) + "\n");
    const leaks = findLeaks(run2, fixtureCharacters.filter((c) => c.id === "lib" || c.id === "tur"));
    assert.deepEqual(leaks, [{file: "sessions.jsonl", line: 1, character: "李白", where: "label in a turn"}]);
    // a name inside a longer word is not a mention; the same name standing alone is
    const run3 = mkdtempSync(join(tmpdir(), "ditto-leak3-"));
    makeFixtureRun(run3);
    const turing = fixtureCharacters.filter((c) => c.id === "tur");
    const session = (question: string) => JSON.stringify({id: "s1", character: "ada", lang: "en", system: "You are Ada Lovelace.",
        turns: [{question, answer: "No.", provenance: "partner"}]}) + "\n";
    writeFileSync(join(run3, "sessions.jsonl"), session("Is the NeoAlan Turingmachine yours?"));
    assert.deepEqual(findLeaks(run3, turing).filter((l) => l.file === "sessions.jsonl"), []);
    writeFileSync(join(run3, "sessions.jsonl"), session("Is the Alan Turing machine yours?"));
    assert.deepEqual(findLeaks(run3, turing).filter((l) => l.file === "sessions.jsonl"),
        [{file: "sessions.jsonl", line: 1, character: "Alan Turing", where: "label in a turn"}]);
});

test("a run without a split or without questions for held-out characters says what to do", async () => {
    const run = mkdtempSync(join(tmpdir(), "ditto-nosplit-"));
    makeFixtureRun(run, {heldOutQueries: false});
    await assert.rejects(buildEvalSet({runDir: run, recipe}), /no questions in queries\.jsonl/);
    writeFileSync(join(run, "manifest.json"), JSON.stringify({recipe: {}}));
    await assert.rejects(buildEvalSet({runDir: run, recipe}), (err: unknown) => err instanceof DittoError && err.code === "EVAL_NO_SPLIT" && /split: expected/.test(err.message));
});

test("evidence and candidates", () => {
    assert.deepEqual(pickEvidence("Tell me about the violin you play", ["address: 221B Baker Street", "instrument: violin"], 1), ["instrument: violin"]);
    assert.deepEqual(pickEvidence("Hello?", ["a: 1", "b: 2", "c: 3", "d: 4"], 3), ["a: 1", "b: 2", "c: 3"], "no overlap: the top claims");
    const c = makeCandidates(fixtureCharacters[0]!, fixtureCharacters, "seed");
    assert.equal(c.candidates.length, 4);
    assert.equal(c.candidates[c.truth], "[Ada Lovelace] an English mathematician who wrote the first computer program");
    assert.equal(new Set(c.candidates).size, 4);
    assert.deepEqual(makeCandidates(fixtureCharacters[0]!, fixtureCharacters, "seed"), c, "seeded");
});
