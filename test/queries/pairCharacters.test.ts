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

test("pairing scales to 100k characters, and each partner has the best score on offer", {timeout: 120_000}, () => {
    const categories = ["real person", "fictional character", "deity"];
    const chars = Array.from({length: 100_000}, (_, i) => c(`c${i}`, categories[i % 3]!, i % 10 === 0 ? "zh" : "en",
        i % 7 === 0 ? undefined : 1000 + ((i * 7919) % 1000)));
    const pairs = pairCharacters(chars, 3);
    const byId = new Map(chars.map((x) => [x.id, x]));
    const era = (x: Character) => x.claims.length ? Number(/\d+/.exec(x.claims[0]!)![0]) : undefined;
    const score = (a: Character, b: Character) => (a.category !== b.category ? 1 : 0) +
        (era(a) !== undefined && era(b) !== undefined && Math.abs(era(a)! - era(b)!) >= 100 ? 1 : 0);
    const partnerOf = new Map<string, string[]>();
    for (const p of pairs) {
        partnerOf.set(p.a, [...partnerOf.get(p.a) ?? [], p.b]);
        partnerOf.set(p.b, [...partnerOf.get(p.b) ?? [], p.a]);
    }
    assert.equal(partnerOf.size, chars.length, "every character has a partner");
    // brute force on a sample: some partner of a has the best score among a's language
    for (let i = 0; i < chars.length; i += 997) {
        const a = chars[i]!;
        const best = Math.max(...chars.filter((b) => b !== a && b.lang === a.lang).slice(0, 5000).map((b) => score(a, b)));
        const got = Math.max(...partnerOf.get(a.id)!.map((id) => score(a, byId.get(id)!)));
        assert.ok(got >= best, `${a.id}: partner score ${got}, best ${best}`);
        assert.ok(partnerOf.get(a.id)!.every((id) => byId.get(id)!.lang === a.lang));
    }
});
