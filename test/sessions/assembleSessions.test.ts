import {test} from "node:test";
import assert from "node:assert/strict";
import type {Character} from "../../src/characters/characterSchema.js";
import type {Turn} from "../../src/responses/turnSchema.js";
import {assembleSessions} from "../../src/sessions/assembleSessions.js";
import {PromptTemplates} from "../../src/generate/PromptTemplates.js";

const ada: Character = {id: "c-ada", label: "Ada Lovelace", description: "English mathematician.", aliases: [], claims: ["date of birth: 1815"], summary: "", lang: "en", category: "real person", source: "file"};
const li: Character = {id: "c-li", label: "李白", description: "唐代诗人", aliases: [], claims: [], summary: "", lang: "zh", category: "real person", source: "file"};
const turns: Turn[] = Array.from({length: 7}, (_, i) => ({id: `t-${i}`, query: `q-${i}`, character: i < 5 ? ada.id : li.id, question: `Q${i}`, answer: `A${i}`,
    provenance: i % 2 ? "partner" : "own", finish: "stop", tokens: 3}));
const base = {characters: new Map([[ada.id, ada], [li.id, li]]), prompts: new PromptTemplates(), turnsPerSession: 2, profileInSystem: false, maxProfileChars: 500, seed: 1};

test("sessions: one-line system prompt, turns shuffled by seed and cut to size, labels kept", () => {
    const sessions = assembleSessions({...base, turns});
    assert.deepEqual(sessions.map((s) => [s.character, s.turns.length]), [["c-ada", 2], ["c-ada", 2], ["c-ada", 1], ["c-li", 2]]);
    assert.equal(sessions[0]!.system, "You are Ada Lovelace, English mathematician.");
    assert.equal(sessions[3]!.system, "你是李白，唐代诗人。");
    assert.equal(sessions[3]!.lang, "zh");
    const all = sessions.flatMap((s) => s.turns);
    assert.deepEqual(all.map((t) => t.turn).sort(), turns.map((t) => t.id).sort());
    for (const t of all) assert.equal(t.provenance, turns.find((x) => x.id === t.turn)!.provenance);
    // input order does not matter; another seed shuffles otherwise
    assert.deepEqual(assembleSessions({...base, turns: [...turns].reverse()}), sessions);
    const other = [2, 3, 4, 5].map((seed) => assembleSessions({...base, turns, seed}).flatMap((s) => s.turns.map((t) => t.turn)).join());
    assert.ok(other.some((o) => o !== all.map((t) => t.turn).join()));
});

test("sessions: the profile in the system prompt only when asked", () => {
    const s = assembleSessions({...base, turns, profileInSystem: true});
    assert.match(s[0]!.system, /^You are Ada Lovelace, English mathematician\.\n\nName: Ada Lovelace\n/);
    assert.match(s[0]!.system, /date of birth: 1815/);
});
