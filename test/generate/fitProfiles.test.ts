import {test} from "node:test";
import assert from "node:assert/strict";
import type {Character} from "../../src/characters/characterSchema.js";
import {renderProfile} from "../../src/characters/renderProfile.js";
import {fitProfiles, type PromptTokens} from "../../src/generate/fitProfiles.js";
import type {ChatMessage} from "../../src/runtime/generationTypes.js";

// one token per character: a tokenizer whose counts can be checked by eye (the tiny model's real one is in fitProfilesRun.test.ts)
const counter = (contextSize: number): PromptTokens => ({
    contextSize,
    promptTokens: (ms) => ms.reduce((n, m) => n + [...m.content].length, 0),
    textTokens: (t) => [...t].length
});
const asUser = ([p]: string[]): ChatMessage[] => [{role: "user", content: `Q:${p}`}];
const character = (patch: Partial<Character>): Character => ({id: "c-1", label: "Ada", description: "mathematician", aliases: [], claims: [],
    summary: "", lang: "en", category: "real person", source: "file", ...patch});

test("a profile that fits is the rendered profile, untouched", () => {
    const c = character({claims: ["born: 1815"], summary: "She wrote notes. They were long."});
    const r = fitProfiles([c], asUser, {maxChars: 6000, maxTokens: 10, tokens: counter(1000)});
    assert.equal(r.messages[0]!.content, `Q:${renderProfile(c, 6000)}`);
    assert.deepEqual(r.trimmed, []);
    assert.equal(r.removedTokens, 0);
});

test("English: cut after the last whole sentence that fits (. ! ?), never inside one", () => {
    const c = character({summary: "One two. Three four! Five six? Seven eight."});
    const full = `Q:${renderProfile(c, 6000)}`;
    // room for everything but the last sentence and 3 characters of the one before it
    const limit = full.length - " Seven eight.".length - 3;
    const r = fitProfiles([c], asUser, {maxChars: 6000, maxTokens: 10, tokens: counter(limit + 10)});
    assert.equal(r.messages[0]!.content, "Q:Name: Ada\nDescription: mathematician\nSummary: One two. Three four!");
    assert.deepEqual(r.trimmed, ["c-1"]);
    assert.equal(r.removedTokens, full.length - r.messages[0]!.content.length);
});

test("Chinese: sentences end at 。！？ without spaces", () => {
    const c = character({label: "李白", description: "唐代诗人", lang: "zh", summary: "他生于碎叶城。他喜欢喝酒！他写了很多诗？后来他去世了。"});
    const prefix = "Q:Name: 李白\nDescription: 唐代诗人\nSummary: 他生于碎叶城。他喜欢喝酒！";
    const r = fitProfiles([c], asUser, {maxChars: 6000, maxTokens: 0, tokens: counter([...prefix].length + 4)});
    assert.equal(r.messages[0]!.content, prefix);
});

test("the facts are kept first: the article and summary go, then the last facts; name and description stay", () => {
    const c = character({claims: ["born: 1815", "field: mathematics", "known for: notes"], summary: "A short life.",
        wiki: {title: "Ada", content: "A long article sentence. ".repeat(40).trim()}});
    const facts = "Q:Name: Ada\nDescription: mathematician\nFacts:\n- born: 1815\n- field: mathematics\n- known for: notes";
    const loose = fitProfiles([c], asUser, {maxChars: 6000, maxTokens: 0, tokens: counter(facts.length + 5)});
    assert.equal(loose.messages[0]!.content, facts);
    const tight = fitProfiles([c], asUser, {maxChars: 6000, maxTokens: 0, tokens: counter(facts.length - 5)});
    assert.equal(tight.messages[0]!.content, "Q:Name: Ada\nDescription: mathematician\nFacts:\n- born: 1815\n- field: mathematics");
});

test("max_profile_chars cuts at the same boundaries, without a token counter too", () => {
    const c = character({summary: "First one. Second one. Third one."});
    const cap = renderProfile(c, 6000).length - 5;
    const r = fitProfiles([c], asUser, {maxChars: cap, maxTokens: 0});
    assert.equal(r.messages[0]!.content, "Q:Name: Ada\nDescription: mathematician\nSummary: First one. Second one.");
    assert.deepEqual(r.trimmed, [], "the character cap is the user's setting, not a trim to fit");
});

test("two profiles: the short one stays whole, the long one gives way", () => {
    const short = character({id: "c-s", label: "Bo", summary: "Brief."});
    const long = character({id: "c-l", label: "Li", summary: "Many words here. ".repeat(30).trim()});
    const both = ([a, b]: string[]): ChatMessage[] => [{role: "user", content: `${a}|${b}`}];
    const r = fitProfiles([long, short], both, {maxChars: 6000, maxTokens: 50, tokens: counter(250)});
    const [a, b] = r.messages[0]!.content.split("|");
    assert.equal(b, renderProfile(short, 6000));
    assert.ok(a!.endsWith("Many words here.") && a!.length < renderProfile(long, 6000).length);
    assert.ok(r.messages[0]!.content.length <= 200);
    assert.deepEqual(r.trimmed, ["c-l"]);
});

test("a context too small for the name and description is an error naming the fix", () => {
    const c = character({summary: "Words. More words."});
    assert.throws(() => fitProfiles([c], asUser, {maxChars: 6000, maxTokens: 20, tokens: counter(30)}),
        (e: Error & {code?: string, hint?: string}) => e.code === "PROMPT_TOO_LONG" && /context_size/.test(e.hint ?? ""));
});

test("a stored rendered profile is cut at the same facts and sentences as the character it was rendered from", () => {
    const c = character({claims: ["born: 1815", "field: mathematics"], summary: "She wrote notes. They were long. Babbage read them."});
    const stored = {id: c.id, label: c.label, text: renderProfile(c, Number.MAX_SAFE_INTEGER)};
    for (const limit of [200, 90, 60, 40]) {
        const want = fitProfiles([c], asUser, {maxChars: 6000, maxTokens: 0, tokens: counter(limit)});
        const got = fitProfiles([stored], asUser, {maxChars: 6000, maxTokens: 0, tokens: counter(limit)});
        assert.equal(got.messages[0]!.content, want.messages[0]!.content, `limit ${limit}`);
        assert.deepEqual(got.trimmed, want.trimmed);
    }
    // an old eval set's profile cut mid-word by characters: still cut at its whole lines and sentences
    const old = {id: "x", label: "Ada", text: "Name: Ada\nDescription: mathematician\nSummary: She wrote notes. They were lo…"};
    assert.equal(fitProfiles([old], asUser, {maxChars: 6000, maxTokens: 0, tokens: counter(70)}).messages[0]!.content,
        "Q:Name: Ada\nDescription: mathematician\nSummary: She wrote notes.");
});
