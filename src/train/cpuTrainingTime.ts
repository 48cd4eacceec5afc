/**
 * Tokens per second of `npm run bench:train` (Qwen2.5-0.5B shapes, sequence 512, 2 threads) per
 * matrix kernel, the lower end of what the README reports: AVX-512F 70-105 (Intel Xeon, AMD Zen
 * 5), AVX2 42-70; the portable kernel is an order of magnitude slower.
 */
const benchRate: Record<string, number> = {avx512f: 70, avx2: 45, portable: 5};

/**
 * Seconds the CPU engine needs for `tokens` training tokens on a model of `parameters` with the
 * named matrix kernel, scaled from the benchmark's rate: time per token grows with the parameters
 * and shrinks with the threads. A rough figure for a note before a long run; the ETA after the
 * first steps is the measured one.
 */
export function cpuTrainingTime(parameters: number, tokens: number, threads: number, kernel: string): {seconds: number, tokensPerSecond: number} {
    const tokensPerSecond = (benchRate[kernel] ?? benchRate.avx2!) * (0.494e9 / parameters) * (threads / 2);
    return {seconds: tokens / tokensPerSecond, tokensPerSecond};
}
