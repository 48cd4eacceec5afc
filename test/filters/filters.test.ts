import {test} from "node:test";
import assert from "node:assert/strict";
import type {Character} from "../../src/characters/characterSchema.js";
import type {Turn} from "../../src/responses/turnSchema.js";
import type {Session} from "../../src/sessions/sessionSchema.js";
import {emptyFilter} from "../../src/filters/emptyFilter.js";
import {truncatedFilter} from "../../src/filters/truncatedFilter.js";
import {lengthFilter} from "../../src/filters/lengthFilter.js";
import {duplicateFilter} from "../../src/filters/duplicateFilter.js";
import {nearDuplicateFilter} from "../../src/filters/nearDuplicateFilter.js";
import {languageFilter} from "../../src/filters/languageFilter.js";
import {roleBreakFilter} from "../../src/filters/roleBreakFilter.js";
import {filterSessions} from "../../src/filters/filterSessions.js";
import {recipeSchema} from "../../src/recipes/recipeSchema.js";

const ada: Character = {id: "c-ada", label: "Ada Lovelace", description: "mathematician", aliases: [], claims: [], summary: "", lang: "en", category: "real person", source: "file"};
let n = 0;
const turn = (answer: string, extra: Partial<Turn> = {}): Turn => ({id: `t-${++n}`, query: `q-${n}`, character: ada.id, question: "Q?", answer, provenance: "own", finish: "stop", tokens: 10, ...extra});
const check = (f: {check: (i: {turn: Turn, character: Character, lang: string}) => string | undefined}, answer: string, lang = "en", extra: Partial<Turn> = {}) =>
    f.check({turn: turn(answer, extra), character: ada, lang});

test("rule filters: each drops what it names and keeps the rest", () => {
    const table: [string, {check: (i: {turn: Turn, character: Character, lang: string}) => string | undefined}, string, string, boolean, Partial<Turn>?][] = [
        ["empty: blank", emptyFilter(), "  \n ", "en", true],
        ["empty: only punctuation", emptyFilter(), "... !", "en", true],
        ["empty: words", emptyFilter(), "Yes.", "en", false],
        ["truncated: hit max tokens", truncatedFilter(), "An answer that", "en", true, {finish: "length"}],
        ["truncated: stopped", truncatedFilter(), "An answer.", "en", false],
        ["length: too short", lengthFilter(5, 20), "Hi", "en", true],
        ["length: too long", lengthFilter(5, 20), "x".repeat(21), "en", true],
        ["length: fine", lengthFilter(5, 20), "Hello there", "en", false],
        ["language: Chinese in an English session", languageFilter(), "我是一位数学家，研究分析机。", "en", true],
        ["language: English in a Chinese session", languageFilter(), "I worked on the Analytical Engine.", "zh", true],
        ["language: Chinese with a Latin name", languageFilter(), "我和Babbage一起研究分析机的程序。", "zh", false],
        ["language: unknown language not checked", languageFilter(), "anything", "xx", false],
        ["role break: as an AI", roleBreakFilter(), "As an AI, I cannot know that.", "en", true],
        ["role break: language model", roleBreakFilter(), "I am only a large language model.", "en", true],
        ["role break: Chinese", roleBreakFilter(), "作为一个人工智能，我无法回答。", "zh", true],
        ["role break: third person", roleBreakFilter(), "Ada Lovelace would say the engine weaves patterns.", "en", true],
        ["role break: first-person introduction is fine", roleBreakFilter(), "I am Ada Lovelace, and the engine weaves patterns.", "en", false],
        ["role break: in character", roleBreakFilter(), "The engine weaves algebraic patterns.", "en", false]
    ];
    for (const [name, f, answer, lang, dropped, extra] of table)
        assert.equal(check(f, answer, lang, extra) !== undefined, dropped, name);
});

test("duplicates: exact after folding case and spaces, and near duplicates by MinHash", () => {
    const dup = duplicateFilter();
    assert.equal(check(dup, "The engine weaves patterns."), undefined);
    assert.match(check(dup, "the  ENGINE weaves patterns.")!, /same answer as t-/);
    const near = nearDuplicateFilter(0.7);
    const text = "The Analytical Engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves.";
    assert.equal(check(near, text), undefined);
    assert.match(check(near, text.replace("flowers", "flowers,"))!, /5-grams as t-/);
    assert.equal(check(near, "Poetry and mathematics are, to me, two sides of one careful and imaginative science."), undefined);
});

test("filterSessions: first objecting rule wins, dropped turns leave sessions, empty sessions go", async () => {
    const filters = recipeSchema.parse({name: "x", models: {generator: "-"}}).filters;
    const turns = [turn("The engine weaves patterns."), turn(""), turn("As an AI I cannot say."), turn("", {finish: "length"})];
    const sessions: Session[] = [
        {id: "s-1", character: ada.id, lang: "en", system: "You are Ada Lovelace, mathematician.", turns: turns.slice(0, 3).map((t) => ({question: t.question, answer: t.answer, provenance: t.provenance, turn: t.id}))},
        {id: "s-2", character: ada.id, lang: "en", system: "You are Ada Lovelace, mathematician.", turns: [{question: "Q?", answer: "", provenance: "own", turn: turns[3]!.id}]}
    ];
    const {kept, rejected} = await filterSessions({sessions, turns: new Map(turns.map((t) => [t.id, t])), characters: new Map([[ada.id, ada]]), filters});
    assert.deepEqual(kept.map((s) => [s.id, s.turns.length]), [["s-1", 1]]);
    assert.deepEqual(rejected.map((r) => [r.id, r.stage, r.reason]), [[turns[1]!.id, "filter", "empty"], [turns[2]!.id, "filter", "role_break"], [turns[3]!.id, "filter", "empty"]]);
    assert.deepEqual(rejected[0]!.record, turns[1]);
});
