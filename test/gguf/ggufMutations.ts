// Seeded damage to a valid GGUF file, one kind at a time: counts, lengths, types, shapes and
// offsets set to hostile values; general.alignment 0 and non-powers of two; truncation at the
// start and middle of every region; random bytes over the header.
import {Rng} from "../../src/random/Rng.js";
import type {GgufLayout} from "./ggufLayout.js";

export type Mutation = {
    id: string,
    /** what was damaged, for the failure message */
    what: string,
    bytes: Buffer,
    /** every reader must refuse this file (others may be harmless, e.g. a changed name) */
    mustReject: boolean
};

const u64Values = [0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 62n, 2n ** 63n, 2n ** 64n - 1n];
const u32Values = [0, 1, 5, 9, 13, 31, 2 ** 31, 2 ** 32 - 1];

export function ggufMutations(base: Buffer, layout: GgufLayout, seed: number): Mutation[] {
    const rng = new Rng(`${seed}:gguf-fuzz`);
    const out: Mutation[] = [];
    const lastTensorEnd = Math.max(...layout.tensorData.map((t) => t[1]));
    const add = (what: string, bytes: Buffer, mustReject: boolean) => out.push({id: String(out.length).padStart(4, "0"), what, bytes, mustReject});
    const withField = (offset: number, size: 4 | 8, value: bigint | number) => {
        const b = Buffer.from(base);
        if (size === 4) b.writeUInt32LE(Number(value) >>> 0, offset);
        else b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)), offset);
        return b;
    };

    for (const f of layout.fields) {
        const original = f.size === 4 ? base.readUInt32LE(f.offset) : Number(base.readBigUInt64LE(f.offset));
        // header counts and alignment: every hostile value; other fields: a seeded few, plus off by one
        const every = f.name.startsWith("header.") || f.key === "general.alignment";
        const pool: (bigint | number)[] = f.size === 8 ? [...u64Values, BigInt(base.length), BigInt(base.length + 1)] : u32Values;
        const values = every ? pool : rng.next() < 0.5 ? [rng.pick(pool)] : [rng.pick(pool), original + 1];
        for (const v of values) {
            if (BigInt(v) === BigInt(original)) continue;
            const alignment = f.key === "general.alignment" && f.name.endsWith(".value");
            const mustReject = alignment ? !isPowerOfTwo(Number(v)) || Number(v) > 1 << 20
                : f.name.endsWith(".offset") && BigInt(v) >= BigInt(base.length);
            add(`${f.name}${f.key ? ` (${f.key})` : ""} ${original} -> ${v}`, withField(f.offset, f.size, v), mustReject);
        }
    }
    const cuts = new Set<number>([0, 4, 8, 16, 24, layout.dataStart - 1, base.length - 1]);
    for (const s of layout.regionStarts) { cuts.add(s); cuts.add(s + 3); }
    for (const [start, end] of layout.tensorData) cuts.add(Math.floor((start + end) / 2));
    for (const cut of [...cuts].sort((a, b) => a - b))
        if (cut >= 0 && cut < base.length) add(`truncated to ${cut} bytes`, base.subarray(0, cut), cut < lastTensorEnd);
    for (let i = 0; i < 60; i++) {
        const b = Buffer.from(base);
        const n = 1 + rng.int(8);
        const at: number[] = [];
        for (let j = 0; j < n; j++) { const p = rng.int(layout.dataStart); at.push(p); b[p] = rng.int(256); }
        add(`random bytes at ${at.join(", ")}`, b, false);
    }
    return out;
}

function isPowerOfTwo(n: number): boolean {
    return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
