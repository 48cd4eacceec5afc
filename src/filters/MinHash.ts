import {hashString} from "../random/Rng.js";

/**
 * MinHash signatures of character n-gram sets with LSH banding: finds pairs of texts whose Jaccard
 * similarity is probably above a threshold without comparing every pair (the data set has tens of
 * thousands of answers). Character n-grams work for Chinese, which has no spaces, as for English.
 */
export class MinHash {
    private readonly seeds: number[];

    public constructor(public readonly permutations = 64, public readonly n = 5, seed = 1) {
        this.seeds = Array.from({length: permutations}, (_, i) => hashString(`minhash:${seed}:${i}`) | 1);
    }

    public shingles(text: string): Set<number> {
        const chars = [...text];
        const out = new Set<number>();
        if (chars.length <= this.n) { out.add(hashString(text)); return out; }
        for (let i = 0; i + this.n <= chars.length; i++) out.add(hashString(chars.slice(i, i + this.n).join("")));
        return out;
    }

    public signature(shingles: Set<number>): Uint32Array {
        const sig = new Uint32Array(this.permutations).fill(0xffffffff);
        for (const s of shingles) {
            for (let p = 0; p < this.permutations; p++) {
                // a cheap universal-style hash per permutation: multiply, xor-shift
                let h = Math.imul(s ^ this.seeds[p]!, 0x9e3779b1) >>> 0;
                h = (h ^ (h >>> 15)) >>> 0;
                if (h < sig[p]!) sig[p] = h;
            }
        }
        return sig;
    }

    public static similarity(a: Uint32Array, b: Uint32Array): number {
        let same = 0;
        for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
        return same / a.length;
    }
}
