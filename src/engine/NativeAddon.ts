/**
 * The raw interface of the compiled addon (build/Release/ditto_engine.node, from native/addon/).
 * Types only: the single place that describes what the C++ side exposes to JavaScript.
 */
import type {DeviceInfo, EngineDevice, EnginePrecision, ModelInfo, OptimizerSettings, StepResult} from "./TrainEngine.js";

export type NativeOpenOptions = {
    modelPath: string,
    rank: number,
    alpha: number,
    dropout: number,
    /** bit i set = loraTargets[i] adapted */
    targets: number,
    /** 0 = all online CPUs */
    threads: number,
    seed: number | bigint,
    /** MB of activations kept from forward to backward; 0 = recompute every layer */
    activationMemoryMb: number,
    device: EngineDevice,
    precision: EnginePrecision
};

export type NativeLoraPair = {layer: number, target: string, nIn: number, nOut: number, offsetA: number, offsetB: number};

export type NativeState = {step: number, weights: Float32Array, m: Float32Array, v: Float32Array, rng: bigint};

export interface NativeEngine {
    info(): ModelInfo;
    accumulate(batch: number, seqLen: number, tokens: Int32Array, targets: Int32Array, segments: Int32Array): Promise<StepResult>;
    evaluate(batch: number, seqLen: number, tokens: Int32Array, targets: Int32Array, segments: Int32Array): Promise<StepResult>;
    optimizerStep(settings: OptimizerSettings): Promise<{gradNorm: number}>;
    logits(tokens: Int32Array): Promise<Float32Array>;
    getState(): NativeState;
    setState(state: NativeState): void;
    /** accumulated, unscaled gradients (same layout as the weights); for tests */
    gradients(): Float32Array;
    pairs(): NativeLoraPair[];
    close(): void;
}

export interface NativeAddon {
    openEngine(options: NativeOpenOptions): Promise<NativeEngine>;
    /** every op's backward vs central finite differences in double precision */
    selftestGradcheck(): {worst: number, report: string};
    /** Q4_K / Q6_K block decoders vs an element-at-a-time reading of the layouts */
    selftestDequant(): {worst: number, report: string};
    /** Float matrix products (every blocking path, F32/F16/BF16/Q8_0 weights) against double loops. */
    selftestGemm(): {worst: number, report: string};
    /** matrix micro-kernel training uses on this CPU: "avx512f", "avx2" or "portable" (DITTO_GEMM_KERNEL may force a narrower one) */
    gemmKernel(): string;
    /** floating-point operations (2 per multiply-add) of every float matrix product the CPU engine ran in this process */
    gemmFlops(): number;
    /**
     * the CPU's FMA peak measured now on `threads` threads (~0.25 s): GFLOP/s of all threads by wall
     * time and the mean GFLOP per CPU-second of one thread; null when the CPU lacks the kind
     */
    fmaPeak(kind: "avx2" | "avx512f" | "avx512bf16", threads: number): {gflops: number, perCpuSecond: number} | null;
    /** whether precision bf16 can run here (AVX512-BF16, and DITTO_GEMM_KERNEL not forcing a narrower kernel) */
    bf16Probe(): {available: true} | {available: false, reason: string};
    /**
     * w[nOut x nIn] += (factor * b[nOut x rank]) a[rank x nIn] in place, rounding exactly as the
     * per-element loop float(w + (factor * b) * a) over k in order (zero terms skipped), so every
     * kernel gives the same bytes; kernel defaults to gemmKernel()'s, and one this CPU lacks throws.
     */
    loraMerge(w: Float32Array, a: Float32Array, b: Float32Array, nOut: number, nIn: number, rank: number, factor: number, kernel?: string): void;
    /** IEEE half bits of each value, the same as src/gguf/halfFloat.ts toHalf for every input (NaN included); kernel as for loraMerge */
    encodeF16(values: Float32Array, kernel?: string): Uint16Array;
    /** Q8_0 blocks of the values (a multiple of 32), the same bytes as src/gguf/quantize.ts quantizeQ8_0 for every input; kernel as for loraMerge */
    encodeQ8_0(values: Float32Array, kernel?: string): Uint8Array;
    /**
     * One adapted matrix W[nOut x nIn] of the merge: the bytes of outType (F32, F16, Q8_0) for
     * decodeForMerge(bytes) (baseType F32, or a decodeForMerge type) after loraMerge, the same bytes
     * as those calls and encodeF16 / encodeQ8_0 one after another, done in row blocks on all cores;
     * null when decodeForMerge would give null; throws for other types or rows of partial blocks
     */
    mergeTensor(bytes: Uint8Array, baseType: number, a: Float32Array, b: Float32Array, nOut: number, nIn: number, rank: number,
        factor: number, outType: number, kernel?: string): Uint8Array | null;
    /**
     * n values of a ggml type (F16, BF16, Q8_0, Q4_K, Q6_K), the same float32 values as
     * src/adapter/readTensorValues.ts; null when a value is NaN or a block scale is infinite or
     * NaN (decode those in TypeScript); throws for another type or bytes shorter than the blocks
     */
    decodeForMerge(bytes: Uint8Array, type: number, n: number): Float32Array | null;
    /**
     * The merged GGUF written in one pass (native/src/MergeFileWriter.h): opens basePath (mapped)
     * and creates outPath; direct tries O_DIRECT; chunkBytes: the staging chunk (a multiple of
     * 4096; default 16 MiB). Throws a Node-style filesystem error (code,
     * syscall, path) when a file cannot be opened; every method throws likewise on a failed write.
     */
    openMergeFile(outPath: string, basePath: string, direct: boolean, chunkBytes?: number): NativeMergeFile;
    /**
     * values encoded as ggml type `type` (F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K),
     * the same bytes as src/gguf/encodeTensorTs.ts; throws RangeError for another type or a length
     * that is not whole blocks (32 values, 256 for the K-quants)
     */
    quantizeTensor(values: Float32Array, type: number): Uint8Array;
    /**
     * out[i] = float(offset + ((rng.next() * 2 - 1) * scale) * scale2) with rng = new Rng(seed)
     * (src/random/Rng.ts), in place: the fixture models' random weights, the same floats as in TypeScript
     */
    fillUniform(out: Float32Array, seed: number, scale: number, scale2: number, offset: number): void;
    /** whether the CUDA engine (or its emulated build) can run here, and on what */
    cudaProbe(emulated?: boolean): {available: true, device: DeviceInfo} | {available: false, reason: string};
}

/** A merged file being written, in file order; see NativeAddon.openMergeFile. */
export interface NativeMergeFile {
    append(bytes: Uint8Array): void;
    zeros(n: number): void;
    /** n bytes of the base file from offset */
    copy(offset: number, n: number): void;
    /** mergeTensor of the base's bytes at offset, appended; false (nothing appended) where mergeTensor gives null */
    merge(offset: number, baseType: number, a: Float32Array, b: Float32Array, nOut: number, nIn: number, rank: number,
        factor: number, outType: number, kernel?: string): boolean;
    /** writes the rest, cuts the file to its length, fsyncs and closes it */
    finish(): void;
    /** frees the writer; an unfinished file stays as far as it got */
    close(): void;
    /** whether the output goes with O_DIRECT */
    direct(): boolean;
}
