import type {EngineOpenOptions, EngineState, LoraPair, ModelInfo, OptimizerSettings, StepResult, TrainBatch, TrainEngine} from "../../src/engine/TrainEngine.js";

const K = 32;

/**
 * A tiny deterministic stand-in for the native engine, so the driver (batching, schedule,
 * checkpoints, resume) is tested without the addon: one weight per (input token, target) bucket,
 * loss softplus(-w) per target, dropout drawn from an RNG that is part of the saved state.
 * `failAfter` throws on that accumulate call, to simulate a killed run.
 */
export class FakeEngine implements TrainEngine {
    public readonly info: ModelInfo = {arch: "qwen2", nLayer: 1, nEmbd: 4, nHead: 2, nHeadKv: 1, headDim: 2, nFf: 8, nVocab: 151936,
        ropeBase: 1e6, normEps: 1e-6, tiedOutput: true, loraParameters: K};
    private state: EngineState;
    private grad = new Float32Array(K);
    private calls = 0;
    public batchesSeen: TrainBatch[] = [];

    public constructor(private readonly options: EngineOpenOptions, private readonly failAfter = Infinity) {
        let s = BigInt(options.seed) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn;
        const weights = new Float32Array(K);
        for (let i = 0; i < K; i++) { s = lcg(s); weights[i] = Number(s >> 40n) / 2 ** 24 - 0.5; }
        this.state = {step: 0, weights, m: new Float32Array(K), v: new Float32Array(K), rng: s};
    }

    public static opener(failAfter = Infinity): {open: (o: EngineOpenOptions) => Promise<FakeEngine>, engines: FakeEngine[]} {
        const engines: FakeEngine[] = [];
        return {engines, open: async (o) => { const e = new FakeEngine(o, failAfter); engines.push(e); return e; }};
    }

    private run(batch: TrainBatch, train: boolean): StepResult {
        let lossSum = 0, tokens = 0;
        const w = this.state.weights;
        for (let i = 0; i < batch.tokens.length; i++) {
            const t = batch.targets[i]!;
            if (t < 0) continue;
            const idx = (batch.tokens[i]! * 31 + t) % K;
            let scale = 1;
            if (train && this.options.lora.dropout > 0) {
                this.state.rng = lcg(this.state.rng);
                if (Number(this.state.rng >> 40n) / 2 ** 24 < this.options.lora.dropout) scale = 0;
            }
            const x = w[idx]! * scale;
            lossSum += Math.log1p(Math.exp(-x));
            tokens++;
            if (train) this.grad[idx] += -scale / (1 + Math.exp(x));
        }
        return {lossSum, tokens};
    }

    public async accumulate(batch: TrainBatch): Promise<StepResult> {
        if (++this.calls > this.failAfter) throw new Error("simulated crash");
        this.batchesSeen.push(batch);
        return this.run(batch, true);
    }

    public async evaluate(batch: TrainBatch): Promise<StepResult> {
        return this.run(batch, false);
    }

    public async optimizerStep(s: OptimizerSettings): Promise<{gradNorm: number}> {
        const g = this.grad.map((x) => x / s.gradScale);
        const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
        const clip = s.clip > 0 && norm > s.clip ? s.clip / norm : 1;
        const st = this.state;
        st.step++;
        for (let i = 0; i < K; i++) {
            const gi = g[i]! * clip;
            st.m[i] = s.beta1 * st.m[i]! + (1 - s.beta1) * gi;
            st.v[i] = s.beta2 * st.v[i]! + (1 - s.beta2) * gi * gi;
            const mh = st.m[i]! / (1 - s.beta1 ** st.step), vh = st.v[i]! / (1 - s.beta2 ** st.step);
            st.weights[i] -= s.lr * (mh / (Math.sqrt(vh) + s.eps) + s.weightDecay * st.weights[i]!);
        }
        this.grad.fill(0);
        return {gradNorm: norm};
    }

    public async logits(): Promise<Float32Array> { return new Float32Array(0); }

    public getState(): EngineState {
        const s = this.state;
        return {step: s.step, weights: s.weights.slice(), m: s.m.slice(), v: s.v.slice(), rng: s.rng};
    }

    public setState(state: EngineState): void {
        this.state = {step: state.step, weights: state.weights.slice(), m: state.m.slice(), v: state.v.slice(), rng: state.rng};
    }

    public loraPairs(): LoraPair[] {
        const w = this.state.weights;
        return [{layer: 0, target: "q", nIn: 4, nOut: 4, a: w.slice(0, 16), b: w.slice(16, 32)}];
    }

    public close(): void { /* nothing held */ }
}

function lcg(s: bigint): bigint {
    return (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
}
