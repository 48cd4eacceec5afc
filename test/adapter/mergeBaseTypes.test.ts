// `ditto adapter merge` decodes every base type natively (F16, BF16, Q8_0, Q4_K, Q6_K): the merged
// file must hold, byte for byte, what the TypeScript decoders (readTensorValues) + the merge kernel
// + the encoder give (F32, F16, and Q8_0 from quantizeQ8_0), and every other tensor the base's own bytes.
import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {mergeAdapter} from "../../src/adapter/mergeAdapter.js";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import {readAdapterGguf} from "../../src/adapter/readAdapterGguf.js";
import {readTensorBytes} from "../../src/adapter/readTensorBytes.js";
import {readTensorValues} from "../../src/adapter/readTensorValues.js";
import {readGgufHeader} from "../../src/gguf/readGgufHeader.js";
import {GgmlType} from "../../src/gguf/ggufTypes.js";
import {encodeTensorTs} from "../../src/gguf/encodeTensorTs.js";
import {quantizeQ8_0} from "../../src/gguf/quantizeQ8_0.js";
import {toHalf} from "../../src/gguf/halfFloat.js";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";
import {loraTargets, loraTargetTensor, type LoraPair, type LoraTarget} from "../../src/engine/TrainEngine.js";
import {Rng} from "../../src/random/Rng.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {kQuantModel, kQuantShape} from "./kQuantModel.js";
import {randomPairs} from "./randomPairs.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-merge-types-"));

function kQuantPairs(rank: number): LoraPair[] {
    const s = kQuantShape, q = s.nHead * s.headDim, kv = s.nHeadKv * s.headDim;
    const dims: Record<LoraTarget, [number, number]> = {q: [s.nEmbd, q], k: [s.nEmbd, kv], v: [s.nEmbd, kv], o: [q, s.nEmbd],
        gate: [s.nEmbd, s.nFf], up: [s.nEmbd, s.nFf], down: [s.nFf, s.nEmbd]};
    const rng = new Rng("merge-kquant");
    const fill = (n: number) => Float32Array.from({length: n}, () => (rng.next() * 2 - 1) * 0.1);
    return loraTargets.map((target) => ({layer: 0, target, nIn: dims[target][0], nOut: dims[target][1], a: fill(rank * dims[target][0]), b: fill(dims[target][1] * rank)}));
}

const bases = [
    {name: "F16", path: () => fixtureModel("qwen2", "f16"), arch: "qwen2" as const, types: [GgmlType.F16]},
    {name: "BF16", path: () => fixtureModel("qwen3", "bf16"), arch: "qwen3" as const, types: [GgmlType.BF16]},
    {name: "Q8_0", path: () => fixtureModel("llama", "q8_0"), arch: "llama" as const, types: [GgmlType.Q8_0]},
    {name: "Q4_K and Q6_K", path: () => kQuantModel(), arch: "qwen2" as const, types: [GgmlType.Q4_K, GgmlType.Q6_K]}
];

for (const base of bases)
    test(`merging into a ${base.name} base writes the TypeScript decoders' bytes, F16, F32 and Q8_0 out`, async () => {
        const modelPath = base.path();
        const model = readGgufHeader(modelPath);
        const pairs = base.name.startsWith("Q4_K") ? kQuantPairs(4) : randomPairs(base.arch, 4, {scale: 0.1});
        const adapterPath = join(dir, `${base.name}-adapter.gguf`);
        writeAdapterGguf(pairs, {arch: base.arch, alpha: 8}, adapterPath);
        const adapter = readAdapterGguf(adapterPath);
        const factor = adapter.alpha / adapter.rank;
        const byName = new Map(adapter.pairs.map((p) => [`blk.${p.layer}.${loraTargetTensor[p.target]}.weight`, p]));
        // the fixture holds the types this case is about, among the adapted tensors
        const adaptedTypes = new Set(model.tensors.filter((t) => byName.has(t.name)).map((t) => t.type));
        assert.deepEqual([...adaptedTypes].sort(), [...base.types].sort());
        for (const type of ["f16", "f32", "q8_0"] as const) {
            const out = join(dir, `${base.name}-merged-${type}.gguf`);
            const r = await mergeAdapter({modelPath, adapterPath, out, type});
            assert.equal(r.merged, pairs.length);
            const merged = readGgufHeader(out);
            let compared = 0;
            for (const t of model.tensors) {
                const got = readTensorBytes(out, merged.tensors.find((m) => m.name === t.name)!);
                const pair = byName.get(t.name);
                let want: Uint8Array = readTensorBytes(modelPath, t);
                if (pair) {
                    const w = readTensorValues(model, t.name);
                    loadNativeAddon().loraMerge(w, pair.a, pair.b, pair.nOut, pair.nIn, adapter.rank, factor);
                    want = type === "f32" ? encodeTensorTs(w, GgmlType.F32) : type === "q8_0" ? quantizeQ8_0(w) : new Uint8Array(Uint16Array.from(w, toHalf).buffer);
                    compared++;
                }
                assert.ok(Buffer.from(got).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), `${t.name} (${type} out)`);
            }
            assert.equal(compared, pairs.length);
        }
    });
