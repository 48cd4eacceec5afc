import {afterEach, test} from "node:test";
import assert from "node:assert/strict";
import {availableParallelism} from "node:os";
import {physicalCores, resolveThreads} from "../../src/runtime/physicalCores.js";

// The thread trap (architecture.md): more threads than physical cores makes generation ~200x slower.
afterEach(() => { delete process.env.DITTO_THREADS; });

test("physical cores are at least 1 and at most the logical CPUs", () => {
    const cores = physicalCores();
    assert.ok(cores >= 1 && cores <= availableParallelism(), `${cores} of ${availableParallelism()}`);
});

test("resolveThreads defaults to the physical cores and never exceeds them", () => {
    const cores = physicalCores();
    assert.equal(resolveThreads(), cores);
    for (const asked of [1, cores, cores + 1, 4 * availableParallelism(), 1000]) {
        const got = resolveThreads(asked);
        assert.ok(got >= 1 && got <= cores, `asked ${asked}, got ${got}, cores ${cores}`);
    }
    assert.equal(resolveThreads(1), 1);
    process.env.DITTO_THREADS = "999";
    assert.equal(resolveThreads(), cores);
    process.env.DITTO_THREADS = "1";
    assert.equal(resolveThreads(), 1);
    process.env.DITTO_THREADS = "junk";
    assert.equal(resolveThreads(), cores);
});
