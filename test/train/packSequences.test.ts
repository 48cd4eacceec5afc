import {test} from "node:test";
import assert from "node:assert/strict";
import {packSequences} from "../../src/train/packSequences.js";
import {makeBatches} from "../../src/train/makeBatches.js";
import {splitHeldOutExamples} from "../../src/train/splitHeldOutExamples.js";

const session = (tokens: number[], mask: number[]) => ({tokens: Int32Array.from(tokens), mask: Uint8Array.from(mask)});

test("sessions pack into rows as segments; targets are the next trained token", () => {
    const a = session([1, 2, 3, 4], [0, 0, 1, 1]);
    const b = session([5, 6, 7], [0, 1, 1]);
    const c = session([8, 9, 10, 11, 12], [0, 0, 0, 1, 1]);
    const {rows, stats} = packSequences([a, b, c], 8, 0);
    assert.equal(rows.length, 2);
    assert.deepEqual(Array.from(rows[0]!.tokens), [1, 2, 3, 4, 5, 6, 7, 0]);
    assert.deepEqual(Array.from(rows[0]!.segments), [0, 0, 0, 0, 1, 1, 1, -1]);
    // position i predicts token i+1 where that token is trained; never across a segment boundary
    assert.deepEqual(Array.from(rows[0]!.targets), [-1, 3, 4, -1, 6, 7, -1, -1]);
    assert.deepEqual(Array.from(rows[1]!.tokens), [8, 9, 10, 11, 12, 0, 0, 0]);
    assert.deepEqual(Array.from(rows[1]!.targets), [-1, -1, 11, 12, -1, -1, -1, -1]);
    assert.deepEqual(Array.from(rows[1]!.segments), [0, 0, 0, 0, 0, -1, -1, -1]);
    assert.deepEqual(stats, {rows: 2, sessions: 3, truncated: 0, dropped: 0, tokens: 12, targetTokens: 6, padding: 4});
});

test("over-long sessions are truncated and counted; sessions left without a target are dropped", () => {
    const long = session([1, 2, 3, 4, 5, 6], [0, 1, 1, 1, 1, 1]);
    const lateReply = session([1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 1]);
    const {rows, stats} = packSequences([long, lateReply], 4, 0);
    assert.equal(stats.truncated, 2);
    assert.equal(stats.dropped, 1);
    assert.equal(rows.length, 1);
    assert.deepEqual(Array.from(rows[0]!.targets), [2, 3, 4, -1]);
});

test("micro-batches stack rows row-major; the last may be smaller", () => {
    const {rows} = packSequences([session([1, 2], [0, 1]), session([3, 4], [0, 1]), session([5, 6], [0, 1])], 2, 0);
    const batches = makeBatches(rows, 2);
    assert.deepEqual(batches.map((b) => b.batch), [2, 1]);
    assert.deepEqual(Array.from(batches[0]!.tokens), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(batches[0]!.targets), [2, -1, 4, -1]);
    assert.equal(batches[1]!.seqLen, 2);
});

test("held-out split is seeded, sized by the fraction, and never takes everything", () => {
    const items = Array.from({length: 40}, (_, i) => i);
    const a = splitHeldOutExamples(items, 0.1, 3), b = splitHeldOutExamples(items, 0.1, 3), c = splitHeldOutExamples(items, 0.1, 4);
    assert.equal(a.heldOut.length, 4);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.heldOut, c.heldOut);
    assert.deepEqual([...a.train, ...a.heldOut].sort((x, y) => x - y), items);
    assert.equal(splitHeldOutExamples([1, 2], 0.01, 1).heldOut.length, 1);
    assert.equal(splitHeldOutExamples([1], 0.5, 1).heldOut.length, 0);
    assert.equal(splitHeldOutExamples(items, 0, 1).heldOut.length, 0);
});

test("pack: false gives every session a row of its own", () => {
    const {rows, stats} = packSequences([session([1, 2], [0, 1]), session([3, 4], [0, 1])], 8, 0, {pack: false});
    assert.equal(rows.length, 2);
    assert.deepEqual(Array.from(rows[1]!.segments), [0, 0, -1, -1, -1, -1, -1, -1]);
    assert.equal(stats.padding, 12);
});
