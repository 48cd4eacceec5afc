import {test} from "node:test";
import assert from "node:assert/strict";
import type {Character} from "../../src/characters/characterSchema.js";
import {pairCharacters} from "../../src/queries/pairCharacters.js";
import {parseQuestions} from "../../src/queries/parseQuestions.js";

const c = (id: string, category: string, lang = "en", year?: number): Character =>
    ({id, label: id, description: "d", aliases: [], claims: year === undefined ? [] : [`date of birth: ${year}`], summary: "", lang, category, source: "file"});

test("pairing: seeded, same language, partner of another category or era, each pair once", () => {
    const chars = [c("a", "real person", "en", 1815), c("b", "real person", "en", 1820), c("f", "fictional character", "en"), c("z1", "real person", "zh", 181), c("z2", "real person", "zh", 1900)];
    const pairs = pairCharacters(chars, 1);
    assert.deepEqual(pairs, pairCharacters([...chars].reverse(), 1));
    for (const p of pairs) {
        const [a, b] = [chars.find((x) => x.id === p.a)!, chars.find((x) => x.id === p.b)!];
        assert.equal(a.lang, b.lang);
        assert.equal(p.lang, a.lang);
    }
    // a and b are of one era and category: each prefers the fictional one instead
    assert.ok(!pairs.some((p) => p.a === "a" && p.b === "b"));
    assert.equal(new Set(pairs.map((p) => p.id)).size, pairs.length);
    assert.ok(chars.every((x) => pairs.some((p) => p.a === x.id || p.b === x.id)));
});

test("a query sample is usable only when complete, with enough distinct questions", () => {
    const ok = parseQuestions({text: JSON.stringify({questions: [{question: "A?"}, {question: " B? "}, {question: "C?"}]}), finish: "stop", tokens: 9}, 3);
    assert.deepEqual(ok, {questions: ["A?", "B?", "C?"]});
    assert.ok("problem" in parseQuestions({text: "{\"questions\": [", finish: "length", tokens: 9}, 3));
    assert.ok("problem" in parseQuestions({text: JSON.stringify({questions: [{question: "A?"}, {question: "A?"}, {question: ""}]}), finish: "stop", tokens: 9}, 3));
});
