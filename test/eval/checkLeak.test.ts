import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {findLeaks} from "../../src/eval/checkLeak.js";
import type {Character} from "../../src/characters/characterSchema.js";

const character = (id: string, label: string, lang = "en"): Character =>
    ({id, label, description: "d", aliases: [], claims: [], summary: "", lang, category: "real person", source: "file"});

test("the leak check scales to 100k held-out characters over thousands of sessions, finding exactly the mentions", {timeout: 120_000}, () => {
    const heldOut = Array.from({length: 100_000}, (_, i) => i % 4 === 0 ? character(`h${i}`, `诗人${i}号`, "zh") : character(`h${i}`, `Person Number${i}`));
    const run = mkdtempSync(join(tmpdir(), "ditto-leak-scale-"));
    const lines: string[] = [];
    for (let s = 0; s < 5000; s++) {
        const question = s === 1234 ? "Have you met Person Number77 today?"        // a whole-word mention: a leak
            : s === 2345 ? "I read 诗人40号的诗."                                      // CJK: a leak without word boundaries
                : s === 3456 ? "Is Person Number7x a typo of Person Number7?"       // only "Person Number7" stands alone
                    : `Tell me about the sea, friend ${s}; Person Number${s}0000x is not a name.`;
        lines.push(JSON.stringify({id: `s${s}`, character: "train", lang: "en", system: "You are a sailor.", turns: [{question, answer: "Yes."}]}));
    }
    writeFileSync(join(run, "sessions.jsonl"), lines.join("\n") + "\n");
    assert.deepEqual(findLeaks(run, heldOut), [
        {file: "sessions.jsonl", line: 1235, character: "Person Number77", where: "label in a turn"},
        {file: "sessions.jsonl", line: 2346, character: "诗人40号", where: "label in a turn"},
        {file: "sessions.jsonl", line: 3457, character: "Person Number7", where: "label in a turn"}
    ]);
});
