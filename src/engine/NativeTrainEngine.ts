import {EngineError} from "./errors/EngineError.js";
import type {NativeEngine} from "./NativeAddon.js";
import type {EngineState, LoraPair, LoraTarget, ModelInfo, OptimizerSettings, StepResult, TrainBatch, TrainEngine} from "./TrainEngine.js";

/**
 * TrainEngine over the native addon. Calls are queued one after another (the engine runs one
 * call at a time and owns all the CPU threads it was given); native errors become EngineErrors
 * that keep the original as `cause`.
 */
export class NativeTrainEngine implements TrainEngine {
    public readonly info: ModelInfo;
    private readonly native: NativeEngine;
    private queue: Promise<unknown> = Promise.resolve();
    private closed = false;

    public constructor(native: NativeEngine) {
        this.native = native;
        this.info = native.info();
    }

    public accumulate(batch: TrainBatch): Promise<StepResult> {
        return this.enqueue("batch", () => this.native.accumulate(batch.batch, batch.seqLen, batch.tokens, batch.targets, batch.segments));
    }

    public evaluate(batch: TrainBatch): Promise<StepResult> {
        return this.enqueue("batch", () => this.native.evaluate(batch.batch, batch.seqLen, batch.tokens, batch.targets, batch.segments));
    }

    public optimizerStep(settings: OptimizerSettings): Promise<{gradNorm: number}> {
        return this.enqueue("internal", () => this.native.optimizerStep(settings));
    }

    public logits(tokens: Int32Array): Promise<Float32Array> {
        return this.enqueue("batch", () => this.native.logits(tokens));
    }

    public getState(): EngineState {
        return this.sync("state", () => this.native.getState());
    }

    public setState(state: EngineState): void {
        this.sync("state", () => this.native.setState(state));
    }

    /** Accumulated gradients since the last optimizerStep (unscaled); for tests and debugging. */
    public gradients(): Float32Array {
        return this.sync("state", () => this.native.gradients());
    }

    public loraPairs(): LoraPair[] {
        const state = this.sync("state", () => this.native.getState());
        return this.native.pairs().map((p) => {
            const rank = (p.offsetB - p.offsetA) / p.nIn;
            return {
                layer: p.layer,
                target: p.target as LoraTarget,
                nIn: p.nIn,
                nOut: p.nOut,
                a: state.weights.slice(p.offsetA, p.offsetA + rank * p.nIn),
                b: state.weights.slice(p.offsetB, p.offsetB + p.nOut * rank)
            };
        });
    }

    public close(): void {
        if (this.closed) return;
        this.closed = true;
        // a call still in flight keeps the native object busy; close once the queue drains
        void this.queue.finally(() => this.native.close());
    }

    private enqueue<T>(problem: "batch" | "internal", fn: () => Promise<T>): Promise<T> {
        if (this.closed) return Promise.reject(new EngineError("closed", "the training engine is closed", {hint: "open a new engine with openEngine()"}));
        const run = this.queue.then(fn).catch((error: unknown) => {
            throw error instanceof EngineError ? error : new EngineError(problem, messageOf(error), {cause: error});
        });
        this.queue = run.catch(() => undefined);
        return run;
    }

    private sync<T>(problem: "state", fn: () => T): T {
        if (this.closed) throw new EngineError("closed", "the training engine is closed", {hint: "open a new engine with openEngine()"});
        try {
            return fn();
        } catch (error) {
            throw new EngineError(problem, messageOf(error), {cause: error});
        }
    }
}

function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
