import {LoraPair, LoraTarget, loraTargets} from "../../src/engine/TrainEngine.js";
import {Rng} from "../../src/random/Rng.js";
import {fixtureShape, FixtureArch} from "../../src/fixtures/fixtureSpecs.js";

/** LoRA pairs with random A and B (or B = 0) for every target of a tiny fixture model. */
export function randomPairs(arch: FixtureArch, rank: number, options: {zeroB?: boolean, seed?: number, scale?: number, targets?: readonly LoraTarget[]} = {}): LoraPair[] {
    const s = fixtureShape("tiny", arch);
    const q = s.nHead * s.headDim, kv = s.nHeadKv * s.headDim;
    const dims: Record<LoraTarget, [number, number]> = {
        q: [s.nEmbd, q], k: [s.nEmbd, kv], v: [s.nEmbd, kv], o: [q, s.nEmbd], gate: [s.nEmbd, s.nFf], up: [s.nEmbd, s.nFf], down: [s.nFf, s.nEmbd]
    };
    const rng = new Rng(options.seed ?? 7);
    const scale = options.scale ?? 0.5;
    const fill = (n: number, zero = false) => Float32Array.from({length: n}, () => zero ? 0 : (rng.next() * 2 - 1) * scale);
    const pairs: LoraPair[] = [];
    for (let layer = 0; layer < s.nLayer; layer++)
        for (const target of options.targets ?? loraTargets) {
            const [nIn, nOut] = dims[target];
            pairs.push({layer, target, nIn, nOut, a: fill(rank * nIn), b: fill(nOut * rank, options.zeroB)});
        }
    return pairs;
}
