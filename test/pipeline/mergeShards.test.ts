import {test} from "node:test";
import assert from "node:assert/strict";
import {cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {trainRecipe} from "../../src/pipeline/trainRecipe.js";
import {mergeShards} from "../../src/pipeline/mergeShards.js";
import {loadRecipe} from "../../src/recipes/loadRecipe.js";
import {DittoError} from "../../src/errors/DittoError.js";
import {fixtureDir} from "../helpers/fixtureModel.js";

process.env.DITTO_MODELS = join(fixtureDir, "models");
// a small run, one conversation at a time so the texts are comparable byte for byte
const {recipe, dir} = loadRecipe("tiny", ["characters.count=6", "characters.held_out=0", "runtime.parallel=1", "runtime.threads=2",
    "generate.queries_per_pair=2", "generate.samples=1", "generate.sampling.max_tokens=24"]);
const quiet = {progress: "none" as const, log: () => {}, recipeDir: dir};

test("two shards merged give the same data set as one unsharded run; overlaps and gaps are refused", {timeout: 1_200_000}, async () => {
    const root = mkdtempSync(join(tmpdir(), "ditto-shards-"));
    const whole = join(root, "whole");
    await trainRecipe({recipe, runDir: whole, until: "dataset", ...quiet});

    const base = join(root, "base");
    await trainRecipe({recipe, runDir: base, until: "pairs", ...quiet});
    const shards = [0, 1].map((i) => {
        const d = join(root, `s${i}`);
        cpSync(base, d, {recursive: true});
        return d;
    });
    for (const [i, d] of shards.entries()) await trainRecipe({recipe, runDir: d, shard: {index: i, count: 2}, ...quiet});
    for (const d of shards) assert.ok(!existsSync(join(d, "sessions.jsonl")), "a shard must stop after responses");
    const n = shards.map((d) => readFileSync(join(d, "responses.jsonl"), "utf8").split("\n").filter(Boolean).length);
    assert.ok(n[0]! > 0 && n[1]! > 0, `both shards should have work: ${n}`);

    assert.throws(() => mergeShards(join(root, "m1"), [shards[0]!]), (e: unknown) => e instanceof DittoError && /1\/2 missing/.test(e.message));
    assert.throws(() => mergeShards(join(root, "m2"), [shards[0]!, shards[0]!]), (e: unknown) => e instanceof DittoError && /both shard 0\/2/.test(e.message));

    const merged = join(root, "merged");
    const res = mergeShards(merged, shards);
    assert.equal(res.counts["responses.jsonl"], n[0]! + n[1]!);
    await trainRecipe({recipe, runDir: merged, from: "sessions", until: "dataset", ...quiet});
    for (const f of ["queries.jsonl", "responses.jsonl", "sessions.jsonl", "dataset.jsonl"])
        assert.equal(readFileSync(join(merged, f), "utf8"), readFileSync(join(whole, f), "utf8"), `${f}: merged shards differ from the unsharded run`);

    // a record in two shards is an overlap, named with both folders
    const dup = join(root, "dup");
    cpSync(shards[1]!, dup, {recursive: true});
    const extra = readFileSync(join(shards[0]!, "responses.jsonl"), "utf8").split("\n")[0]!;
    writeFileSync(join(dup, "responses.jsonl"), readFileSync(join(dup, "responses.jsonl"), "utf8") + extra + "\n");
    assert.throws(() => mergeShards(join(root, "m3"), [shards[0]!, dup]), (e: unknown) => e instanceof DittoError && e.code === "SHARD_OVERLAP");
});
