/**
 * Seconds the CPU engine needs for `tokens` training tokens on a model of `parameters`, scaled
 * from the measured rate of `npm run bench:train` (about 50 tokens/s for Qwen2.5-0.5B shapes on 2
 * cores, README): time per token grows with the parameters and shrinks with the threads. A rough
 * figure for a warning before a long run; the ETA after the first steps is the measured one.
 */
export function cpuTrainingTime(parameters: number, tokens: number, threads: number): {seconds: number, tokensPerSecond: number} {
    const tokensPerSecond = 50 * (0.494e9 / parameters) * (threads / 2);
    return {seconds: tokens / tokensPerSecond, tokensPerSecond};
}
