import {existsSync, readFileSync} from "node:fs";
import {join, resolve} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import {readManifest} from "../runs/readManifest.js";
import {stageFiles} from "../runs/stageNames.js";
import {writeManifest} from "../runs/writeManifest.js";
import {writeTextAtomic} from "../runs/writeJsonlAtomic.js";
import type {Manifest} from "../runs/manifestSchema.js";
import {outputDirs} from "../runs/outputDirs.js";

/** Files a shard makes only for its own pairs, merged by id. */
const shardedFiles = [stageFiles.queries, "queries.rejected.jsonl", stageFiles.responses] as const;
/** Files every shard makes whole, which must be identical. */
const sharedFiles = [stageFiles.characters, stageFiles.pairs] as const;

/**
 * Combines the run folders of `--shard i/n` generation (each with queries and responses for its
 * own pairs) into one run folder, ready for `ditto train --from sessions`. Checks that the shards
 * come from the same recipe and characters, that each of 0..n-1 is there exactly once and complete,
 * and that no record id appears in two shards.
 */
export function mergeShards(outDir: string, shardDirs: string[]): {outDir: string, counts: Record<string, number>} {
    const out = resolve(outDir);
    if (shardDirs.length === 0) throw new DittoError("no shard folders given", {hint: "ditto runs merge --out runs/merged runs/shard-0 runs/shard-1 ..."});
    const manifests = shardDirs.map((d) => {
        const m = readManifest(d);
        if (!m) throw new DittoError(`${d}: no manifest.json`, {hint: "pass the run folders made with `ditto train|generate --shard i/n`"});
        if (!m.shard) throw new DittoError(`${d}: was not made with --shard`, {hint: "pass only shard run folders"});
        return m;
    });
    const count = manifests[0]!.shard!.count;
    const seen = new Map<number, string>();
    manifests.forEach((m, i) => {
        const d = shardDirs[i]!;
        if (m.fingerprint !== manifests[0]!.fingerprint)
            throw new DittoError(`${d}: made with other generation settings than ${shardDirs[0]}`, {hint: "merge only shards of one recipe, seed and character set"});
        if (m.shard!.count !== count)
            throw new DittoError(`${d}: is shard ${m.shard!.index}/${m.shard!.count}, but ${shardDirs[0]} is one of ${count}`, {hint: "merge shards of one --shard i/n split"});
        if (seen.has(m.shard!.index))
            throw new DittoError(`${d} and ${seen.get(m.shard!.index)} are both shard ${m.shard!.index}/${count}`, {hint: "pass each shard once"});
        seen.set(m.shard!.index, d);
        for (const f of [...sharedFiles, stageFiles.queries, stageFiles.responses])
            if (!existsSync(join(d, f)))
                throw new DittoError(`${d}: ${f} is missing: the shard is not complete`, {hint: `finish it with \`ditto train --run ${d} --shard ${m.shard!.index}/${count} --until responses\``});
    });
    const missing = Array.from({length: count}, (_, i) => i).filter((i) => !seen.has(i));
    if (missing.length > 0)
        throw new DittoError(`shard(s) ${missing.map((i) => `${i}/${count}`).join(", ")} missing`, {hint: "generate every shard of the split before merging"});

    for (const f of sharedFiles) {
        const first = readFileSync(join(shardDirs[0]!, f), "utf8");
        for (const d of shardDirs.slice(1))
            if (readFileSync(join(d, f), "utf8") !== first)
                throw new DittoError(`${join(d, f)} differs from ${join(shardDirs[0]!, f)}`, {
                    hint: "make characters and pairs once (--until pairs), copy that folder for every shard, then run the shards"});
    }

    outputDirs.make(out);
    if (readManifest(out)) throw new DittoError(`${out} already holds a run`, {hint: "merge into a new folder"});
    const counts: Record<string, number> = {};
    for (const f of sharedFiles) {
        const text = readFileSync(join(shardDirs[0]!, f), "utf8");
        writeTextAtomic(join(out, f), text);
        counts[f] = text.split("\n").filter((l) => l.trim()).length;
    }
    for (const f of shardedFiles) {
        const byId = new Map<string, {line: string, from: string}>();
        for (const d of shardDirs) {
            if (!existsSync(join(d, f))) continue;
            for (const line of readFileSync(join(d, f), "utf8").split("\n")) {
                if (!line.trim()) continue;
                const id = (JSON.parse(line) as {id: string}).id;
                const prev = byId.get(id);
                if (prev) throw new DittoError(`record ${id} of ${f} is in both ${prev.from} and ${d}`, {hint: "the shards overlap: were they made with the same --shard i/n split?", code: "SHARD_OVERLAP"});
                byId.set(id, {line, from: d});
            }
        }
        const ids = [...byId.keys()].sort();
        writeTextAtomic(join(out, f), ids.map((id) => byId.get(id)!.line + "\n").join(""));
        counts[f] = ids.length;
    }
    const base = manifests[0]!;
    const now = new Date().toISOString();
    const stages = {...base.stages} as Manifest["stages"];
    for (const s of ["queries", "responses"] as const)
        stages[s] = {status: "done", count: counts[stageFiles[s]], tokens: manifests.reduce((a, m) => a + (m.stages[s].tokens ?? 0), 0), finished: now};
    stages.sessions = {status: "pending"};
    stages.dataset = {status: "pending"};
    const merged: Manifest = {...base, created: now, updated: now, stages, shard: undefined, merged_from: shardDirs.map((d) => resolve(d)),
        warnings: manifests.flatMap((m) => m.warnings)};
    delete (merged as {shard?: unknown}).shard;
    writeManifest(out, merged);
    return {outDir: out, counts};
}
