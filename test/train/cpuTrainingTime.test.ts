// The CPU-time note before a long run: scaled from the benchmark's rate of the kernel that will
// run, so an AVX-512 machine is not told it is as slow as an AVX2 one, and more threads or a
// smaller model shorten it.
import {test} from "node:test";
import assert from "node:assert/strict";
import {cpuTrainingTime} from "../../src/train/cpuTrainingTime.js";

test("cpuTrainingTime scales with the kernel, the parameters and the threads", () => {
    const tokens = 1e6;
    const avx512 = cpuTrainingTime(7.6e9, tokens, 2, "avx512f");
    const avx2 = cpuTrainingTime(7.6e9, tokens, 2, "avx2");
    const portable = cpuTrainingTime(7.6e9, tokens, 2, "portable");
    assert.ok(avx512.tokensPerSecond > avx2.tokensPerSecond && avx2.tokensPerSecond > portable.tokensPerSecond,
        `${avx512.tokensPerSecond} > ${avx2.tokensPerSecond} > ${portable.tokensPerSecond}`);
    // a 7B model with AVX-512F on 2 cores: a few tokens per second (70 x 0.494 / 7.6), about two days per million tokens
    assert.ok(Math.abs(avx512.tokensPerSecond - 70 * 0.494 / 7.6) < 1e-9, String(avx512.tokensPerSecond));
    assert.ok(avx512.seconds > 36 * 3600 && avx512.seconds < 96 * 3600, `${avx512.seconds / 3600} hours`);
    assert.equal(cpuTrainingTime(7.6e9, tokens, 4, "avx2").seconds, avx2.seconds / 2);
    assert.equal(cpuTrainingTime(3.8e9, tokens, 2, "avx2").seconds, avx2.seconds / 2);
    // an unknown kernel name is taken as AVX2's rate rather than failing the run
    assert.equal(cpuTrainingTime(7.6e9, tokens, 2, "future-kernel").seconds, avx2.seconds);
});
