// The native kernels of `ditto adapter merge` against the TypeScript they replace, bit for bit:
// loraMerge on every kernel this CPU has, at sizes that cross each kernel's vector width,
// encodeF16 against toHalf over float32 bit patterns of every class (ties, subnormals, NaN), and
// decodeQ8_0 against the TypeScript decoder's formula over every finite scale.
import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";
import {toHalf} from "../../src/gguf/halfFloat.js";
import {halfTable} from "../../src/adapter/halfTable.js";
import {Rng} from "../../src/random/Rng.js";

/** The reference: per element, k in order, w = float(w + (factor * b) * a) in doubles, zero terms skipped. */
function referenceMerge(w: Float32Array, a: Float32Array, b: Float32Array, nOut: number, nIn: number, r: number, factor: number): void {
    for (let o = 0; o < nOut; o++)
        for (let k = 0; k < r; k++) {
            const coef = factor * b[o * r + k]!;
            if (coef === 0) continue;
            for (let i = 0; i < nIn; i++) w[o * nIn + i] += coef * a[k * nIn + i]!;
        }
}

/** Kernels this CPU can run, from the flags the kernel reports (x86-64 Linux; elsewhere portable only). */
function cpuKernels(): string[] {
    let flags = new Set<string>();
    try {
        const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
        flags = new Set(line?.split(":")[1]?.trim().split(/\s+/) ?? []);
    } catch { /* not Linux */ }
    const avx2 = flags.has("avx2") && flags.has("fma") && flags.has("f16c");
    return ["portable", ...(avx2 ? ["avx2"] : []), ...(avx2 && flags.has("avx512f") ? ["avx512f"] : [])];
}

/** Values spread over several binades, so that where each sum is rounded changes the result. */
function values(rng: Rng, n: number, zeroEvery = 0): Float32Array {
    return Float32Array.from({length: n}, (_, i) => zeroEvery && i % zeroEvery === 0 ? 0 : (rng.next() * 2 - 1) * 2 ** (rng.int(12) - 6));
}

test("loraMerge gives the reference loop's bytes with every kernel this CPU has", () => {
    const addon = loadNativeAddon();
    const kernels = cpuKernels();
    let cases = 0, roundingSensitive = 0;
    for (const nIn of [1, 7, 8, 9, 15, 16, 17, 31, 33, 100])
        for (const rank of [1, 3, 16]) {
            const rng = new Rng(`merge-${nIn}-${rank}`);
            const nOut = 5, factor = 2 / rank * 0.75;
            const w = values(rng, nOut * nIn), a = values(rng, rank * nIn), b = values(rng, nOut * rank, 4);
            b.fill(0, 2 * rank, 3 * rank); // a row with no adapter contribution at all
            const want = w.slice();
            referenceMerge(want, a, b, nOut, nIn, rank, factor);
            // the same sums in float32 only: differs from the reference, so the fixture tells roundings apart
            const single = w.slice();
            for (let o = 0; o < nOut; o++)
                for (let k = 0; k < rank; k++)
                    for (let i = 0; i < nIn; i++)
                        single[o * nIn + i] = Math.fround(single[o * nIn + i]! + Math.fround(Math.fround(factor * b[o * rank + k]!) * a[k * nIn + i]!));
            if (!Buffer.from(single.buffer).equals(Buffer.from(want.buffer))) roundingSensitive++;
            for (const kernel of [undefined, ...kernels]) {
                const got = w.slice();
                addon.loraMerge(got, a, b, nOut, nIn, rank, factor, kernel);
                assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer), `nIn ${nIn}, rank ${rank}, kernel ${kernel ?? "default"}`);
                cases++;
            }
        }
    assert.equal(cases, 30 * (kernels.length + 1));
    assert.ok(roundingSensitive >= 15, `only ${roundingSensitive} of 30 cases distinguish double from float rounding`);
});

test("loraMerge rejects mismatched sizes and unknown kernels", () => {
    const addon = loadNativeAddon();
    const w = new Float32Array(6), a = new Float32Array(3), b = new Float32Array(2);
    assert.throws(() => addon.loraMerge(w, a, b, 2, 3, 2, 1), /nOut\*nIn/);
    assert.throws(() => addon.loraMerge(w, new Float32Array(3), new Float32Array(2), 2, 3, 1, 1, "sse9"), /kernel sse9/);
});

test("encodeF16 gives toHalf's bits for every class of float32", () => {
    const patterns: number[] = [];
    for (let x = 0; x < 2 ** 32; x += 4093) patterns.push(x);
    // around the rounding point of every exponent, both signs: ties to even, carries into the exponent, subnormal halves
    for (let e = 0; e < 256; e++)
        for (const m of [0, 1, 2, 0x1ff, 0x200, 0x3fe, 0x3ff])
            for (const low of [0, 1, 0xfff, 0x1000, 0x1001, 0x1fff])
                for (const sign of [0, 2 ** 31]) patterns.push(sign + e * 2 ** 23 + m * 2 ** 13 + low);
    const values = new Float32Array(new Uint32Array(patterns).buffer);
    const want = Uint16Array.from(values, (v) => toHalf(v));
    const nans = new Set(patterns.flatMap((p, i) => (p >>> 23 & 0xff) === 0xff && (p & 0x7fffff) ? [want[i]!] : []));
    assert.deepEqual([...nans].sort(), [0x7e00, 0xfe00], "NaNs of both signs are covered");
    for (const kernel of [undefined, ...cpuKernels()]) {
        // odd lengths and offsets: every kernel's vector loop and its scalar tail
        for (const [start, end] of [[0, values.length], [3, values.length - 5]] as const) {
            const got = loadNativeAddon().encodeF16(values.subarray(start, end), kernel);
            assert.equal(got.length, end - start);
            let mismatches = 0, firstBad = "";
            got.forEach((h, i) => {
                if (h !== want[start + i]) { mismatches++; firstBad ||= `0x${patterns[start + i]!.toString(16)}: ${h} vs ${want[start + i]}`; }
            });
            assert.equal(mismatches, 0, `kernel ${kernel ?? "default"}, first: ${firstBad}`);
        }
    }
    assert.throws(() => loadNativeAddon().encodeF16(values, "sse9"), /kernel sse9/);
});

test("decodeQ8_0 gives the TypeScript decoder's values for every finite scale, and null for the others", () => {
    const finite = Array.from({length: 65536}, (_, h) => h).filter((h) => (h & 0x7c00) !== 0x7c00);
    const rng = new Rng("q8");
    const bytes = new Uint8Array(finite.length * 34);
    finite.forEach((h, b) => {
        bytes[b * 34] = h & 0xff; bytes[b * 34 + 1] = h >> 8;
        for (let i = 0; i < 32; i++) bytes[b * 34 + 2 + i] = b % 8 === 0 ? (i * 8 + b) & 0xff : rng.int(256); // every int8 value occurs
    });
    const n = finite.length * 32;
    const got = loadNativeAddon().decodeQ8_0(bytes, n);
    assert.ok(got);
    const table = halfTable(), q = new Int8Array(bytes.buffer);
    let mismatches = 0;
    for (let b = 0; b < finite.length; b++)
        for (let i = 0; i < 32; i++) if (!Object.is(got[b * 32 + i], Math.fround(table[finite[b]!]! * q[b * 34 + 2 + i]!))) mismatches++;
    assert.equal(mismatches, 0);
    for (const scale of [0x7c00, 0xfc00, 0x7e00, 0x7c01]) {
        const block = new Uint8Array(68);
        block[34] = scale & 0xff; block[35] = scale >> 8;
        assert.equal(loadNativeAddon().decodeQ8_0(block, 64), null, `scale 0x${scale.toString(16)} in the second block`);
    }
    assert.throws(() => loadNativeAddon().decodeQ8_0(new Uint8Array(33), 32), /multiple of 32/);
});
