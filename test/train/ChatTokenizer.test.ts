import {test, after} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {GeneralChatWrapper} from "node-llama-cpp";
import {ChatTokenizer} from "../../src/train/ChatTokenizer.js";
import {readDataset} from "../../src/train/readDataset.js";
import {formatMask} from "../../src/train/formatMask.js";
import {DittoError} from "../../src/errors/DittoError.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

const conversation = [
    {role: "system" as const, content: "You are Ada Lovelace, a mathematician."},
    {role: "user" as const, content: "Who taught you?"},
    {role: "assistant" as const, content: "Mary Somerville, mostly.\nAnd Augustus De Morgan."},
    {role: "user" as const, content: "你好? Any  spaces "},
    {role: "assistant" as const, content: " <think>\nshort\n</think>\n\nYes — “quotes” and 你好!  "}
];

/** Contiguous runs of masked tokens. */
function maskedSpans(tokens: Int32Array, mask: Uint8Array): number[][] {
    const spans: number[][] = [];
    let cur: number[] | undefined;
    tokens.forEach((t, i) => {
        if (mask[i]) (cur ??= []).push(t);
        else if (cur) { spans.push(cur); cur = undefined; }
    });
    if (cur) spans.push(cur);
    return spans;
}

const tokenizers: ChatTokenizer[] = [];
after(async () => { for (const t of tokenizers) await t.dispose(); });

for (const arch of ["qwen2", "qwen3", "llama"] as const) {
    test(`${arch}: loss mask covers exactly the assistant replies and their end-of-turn token`, async () => {
        const tok = await ChatTokenizer.load(fixtureModel(arch, "f16"));
        tokenizers.push(tok);
        assert.equal(tok.wrapperName, arch === "qwen3" ? "Qwen" : "ChatML");
        const eot = tok.model.tokenize("<|im_end|>", true);
        assert.deepEqual([tok.endOfTurn], eot);

        const enc = tok.encode(conversation);
        assert.equal(enc.tokens.length, enc.mask.length);
        assert.equal(enc.boundaryMerges, 0);
        const spans = maskedSpans(enc.tokens, enc.mask);
        const replies = conversation.filter((m) => m.role === "assistant").map((m) => m.content);
        assert.equal(spans.length, replies.length);
        spans.forEach((span, i) => {
            assert.equal(span[span.length - 1], tok.endOfTurn, "each reply ends with the end-of-turn token");
            assert.equal(tok.detokenize(span), replies[i] + "<|im_end|>");
        });
        // Everything else (system, user, role headers) is masked out.
        const unmasked = tok.detokenize(enc.tokens.filter((_, i) => !enc.mask[i]));
        assert.ok(unmasked.includes("You are Ada Lovelace") && unmasked.includes("Who taught you?") && unmasked.includes("<|im_start|>assistant\n"));
        assert.ok(!unmasked.includes("Somerville"));
        // The whole sequence is the template's rendering plus the closing token: the last turn is closed.
        const text = tok.detokenize(enc.tokens);
        assert.ok(text.endsWith("<|im_end|>"));
        assert.ok(text.includes("<|im_start|>user\nWho taught you?<|im_end|>"));
    });
}

test("a conversation that ends with a user message gets the generation prompt, untrained", async () => {
    const tok = tokenizers[0]!;
    const enc = tok.encode(conversation.slice(0, 4));
    assert.equal(maskedSpans(enc.tokens, enc.mask).length, 1);
    assert.ok(tok.detokenize(enc.tokens).endsWith("Any  spaces <|im_end|>\n<|im_start|>assistant\n"));
});

test("a template with plain-text role headers: tokens stay exactly what inference sees when BPE merges across a reply's edge", () => {
    // GeneralChatWrapper writes "### Assistant\n" as plain text, so a reply that starts with
    // newlines shares its first token with the header.
    const tok = ChatTokenizer.fromModel(tokenizers[0]!.model, new GeneralChatWrapper());
    const messages = [{role: "user" as const, content: "Hi"}, {role: "assistant" as const, content: "\n\nHello there"},
        {role: "user" as const, content: "More"}, {role: "assistant" as const, content: "Sure."}];
    const enc = tok.encode(messages);
    assert.equal(enc.boundaryMerges, 1);
    const reference = tok.chatWrapper.generateContextState({chatHistory: [{type: "user", text: "Hi"}, {type: "model", response: ["\n\nHello there"]},
        {type: "user", text: "More"}, {type: "model", response: ["Sure."]}]}).contextText.tokenize(tok.model.tokenizer);
    assert.deepEqual(Array.from(enc.tokens.subarray(0, -1)), reference);
    const spans = maskedSpans(enc.tokens, enc.mask).map((s) => tok.detokenize(s));
    assert.deepEqual(spans, ["\n\n\nHello there", "Sure.<|im_end|>"]); // the merged token goes with the reply
});

test("reserved marker characters in the data are a clear error", () => {
    const tok = tokenizers[0]!;
    assert.throws(() => tok.encode([{role: "user", content: "a"}, {role: "assistant", content: "b\uE000"}]),
        (e: unknown) => e instanceof DittoError && e.code === "TRAIN_RESERVED_CHAR");
});

test("--show-mask rendering brackets the trained tokens", () => {
    const tok = tokenizers[0]!;
    const enc = tok.encode(conversation.slice(0, 3));
    const shown = formatMask(enc, (t) => tok.detokenize(t), {color: false});
    assert.ok(shown.includes("[[Mary Somerville, mostly.\nAnd Augustus De Morgan.<|im_end|>]]"), shown);
    assert.ok(shown.includes("Who taught you?") && !shown.includes("[[Who"));
});

test("readDataset names the file, line and field of a bad line", () => {
    const dir = mkdtempSync(join(tmpdir(), "ditto-data-"));
    const good = JSON.stringify({messages: conversation, meta: {id: "s1"}});
    const cases: [string, string, RegExp][] = [
        ["json", `${good}\n{"messages": [`, /:2: not valid JSON/],
        ["field", `${good}\n${JSON.stringify({messages: [{role: "bot", content: "x"}]})}`, /:2: field messages\.0\.role/],
        ["no-reply", JSON.stringify({messages: [{role: "system", content: "s"}, {role: "user", content: "x"}]}), /:1: the conversation has no assistant message/],
        ["empty", "\n\n", /the dataset is empty/]
    ];
    for (const [name, text, pattern] of cases) {
        const path = join(dir, `${name}.jsonl`);
        writeFileSync(path, text);
        assert.throws(() => readDataset(path), (e: unknown) => e instanceof DittoError && pattern.test(e.message) && !!e.hint && e.message.includes(path));
    }
    assert.throws(() => readDataset(join(dir, "nope.jsonl")), (e: unknown) => e instanceof DittoError && e.code === "TRAIN_DATA_MISSING");
    const path = join(dir, "ok.jsonl");
    writeFileSync(path, `${good}\n\n${JSON.stringify({messages: conversation})}\n`);
    const rows = readDataset(path);
    assert.deepEqual(rows.map((r) => [r.id, r.line]), [["s1", 1], ["line-3", 3]]);
});
