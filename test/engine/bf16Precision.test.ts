// precision bf16: the frozen-weight products of F16/BF16 fixtures in bf16 (vdpbf16ps, fp32
// accumulation) against the fp32 engine on the same batch and LoRA state; F32 weights staying on
// the fp32 path; and the error where bf16 cannot run.
import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {openEngine} from "../../src/engine/openEngine.js";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";
import {EngineError} from "../../src/engine/errors/EngineError.js";
import {loraTargets, type EnginePrecision, type TrainBatch} from "../../src/engine/TrainEngine.js";
import type {FixtureArch, FixtureType} from "../../src/fixtures/fixtureSpecs.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {writeTinyDataset} from "../train/trainData.js";

const probe = loadNativeAddon().bf16Probe();
const noBf16 = probe.available ? false : `precision bf16 cannot run here: ${probe.reason}`;

/** Two packed rows of pseudo-random tokens, loss on every position but the last of each. */
function batch(): TrainBatch {
    const rows = 2, seqLen = 48;
    const tokens = new Int32Array(rows * seqLen), targets = new Int32Array(rows * seqLen), segments = new Int32Array(rows * seqLen);
    for (let i = 0; i < tokens.length; i++) tokens[i] = (i * 7919 + 13) % 151000;
    for (let i = 0; i < tokens.length; i++) targets[i] = i % seqLen === seqLen - 1 ? -1 : tokens[i + 1]!;
    return {batch: rows, seqLen, tokens, targets, segments};
}

/** Loss and LoRA gradients of one accumulate with B set non-zero, so every gradient path carries signal. */
async function lossAndGrads(arch: FixtureArch, type: FixtureType, precision: EnginePrecision) {
    const engine = await openEngine({modelPath: fixtureModel(arch, type, "tiny"), lora: {rank: 4, alpha: 8, dropout: 0, targets: [...loraTargets]},
        threads: 2, seed: 3, precision, device: "cpu"});
    try {
        const state = engine.getState();
        for (let i = 0; i < state.weights.length; i++) state.weights[i] = state.weights[i]! + Math.sin(i) * 0.05;
        engine.setState(state);
        const r = await engine.accumulate(batch());
        return {loss: r.lossSum / r.tokens, grads: engine.gradients().slice(), gemm: engine.info.device?.gemm};
    } finally {
        engine.close();
    }
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
    let diff = 0, scale = 0;
    for (let i = 0; i < a.length; i++) {
        diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
        scale = Math.max(scale, Math.abs(b[i]!));
    }
    return diff / scale;
}

for (const [arch, type] of [["qwen2", "f16"], ["llama", "bf16"]] as const) {
    test(`bf16 products on tiny ${arch} ${type}: loss and LoRA gradients within bf16 rounding of fp32`, {skip: noBf16}, async () => {
        const fp32 = await lossAndGrads(arch, type, "fp32");
        const bf16 = await lossAndGrads(arch, type, "bf16");
        assert.equal(bf16.gemm, "avx512bf16");
        assert.notEqual(fp32.gemm, "avx512bf16");
        const lossRel = Math.abs(bf16.loss - fp32.loss) / fp32.loss, gradRel = maxRelDiff(bf16.grads, fp32.grads);
        console.log(`tiny ${arch} ${type}: loss fp32 ${fp32.loss.toFixed(6)} bf16 ${bf16.loss.toFixed(6)} (rel ${lossRel.toExponential(2)}), grads max rel diff ${gradRel.toExponential(2)}`);
        assert.ok(bf16.grads.some((g) => g !== 0) && fp32.grads.length === bf16.grads.length);
        // bf16 keeps 8 significant bits: unit roundoff u = 2^-8. Measured: loss 4e-6 (f16) and
        // 6e-5 (bf16) relative, gradients 7e-3..9e-3 (~2u) relative to the largest; a mispacked
        // pair or an unrounded operand on one side gives O(1) differences
        const u = 2 ** -8;
        assert.ok(lossRel < u / 8, `loss differs by ${lossRel}`);
        assert.ok(gradRel < 8 * u, `gradients differ by ${gradRel}`);
        assert.ok(lossRel > 0 && gradRel > 0, "bf16 gave the fp32 bits: its products did not run");
    });
}

test("precision bf16 leaves F32 weights on the fp32 path (bit-identical results)", {skip: noBf16}, async () => {
    const fp32 = await lossAndGrads("qwen2", "f32", "fp32");
    const bf16 = await lossAndGrads("qwen2", "f32", "bf16");
    assert.equal(bf16.gemm, fp32.gemm);
    assert.equal(bf16.loss, fp32.loss);
    assert.deepEqual(bf16.grads, fp32.grads);
});

test("bf16 is a CPU engine mode: device cuda refuses it, auto stays on the CPU and says why", async () => {
    const open = (device: "cuda-emulated" | "auto") => openEngine({modelPath: fixtureModel("qwen2", "f16", "tiny"),
        lora: {rank: 4, alpha: 8, dropout: 0, targets: ["q"]}, threads: 1, seed: 3, precision: "bf16", device});
    await assert.rejects(open("cuda-emulated"), (e: unknown) => {
        assert.ok(e instanceof EngineError && e.problem === "precision", String(e));
        assert.match(e.message, /precision bf16 is a mode of the CPU engine/);
        assert.match(e.hint ?? "", /--device cpu/);
        return true;
    });
    if (!probe.available) return;
    const engine = await open("auto");
    try {
        assert.equal(engine.info.device?.kind, "cpu");
        assert.equal(engine.info.device?.gemm, "avx512bf16");
        assert.match(engine.info.device?.note ?? "", /CUDA not tried: precision bf16 is a mode of the CPU engine/);
    } finally {
        engine.close();
    }
});

test("where bf16 cannot run, opening with it is an EngineError naming the reason and the fix", async () => {
    if (!probe.available) {  // this CPU lacks the feature: the error itself
        await assert.rejects(lossAndGrads("qwen2", "f16", "bf16"), (e: unknown) => {
            assert.ok(e instanceof EngineError && e.problem === "precision", String(e));
            assert.match(e.message, /precision bf16 needs a CPU with AVX512-BF16 \(the avx512_bf16 flag in \/proc\/cpuinfo\), which this CPU lacks/);
            assert.match(e.hint ?? "", /--precision fp32/);
            return true;
        });
    }
    // DITTO_GEMM_KERNEL=avx2 turns the AVX-512 kernels off: the same check, through the CLI
    const dir = mkdtempSync(join(tmpdir(), "ditto-bf16-"));
    writeTinyDataset(join(dir, "dataset.jsonl"), 4);
    const r = spawnSync(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "finetune", "--model", fixtureModel("qwen2", "f16", "tiny"),
        "--data", join(dir, "dataset.jsonl"), "--out", join(dir, "run"), "--precision", "bf16", "--max-steps", "1", "--progress", "none"],
    {encoding: "utf8", env: {...process.env, DITTO_GEMM_KERNEL: "avx2", DITTO_DEBUG: ""}, timeout: 120_000});
    assert.equal(r.status, 1, r.stderr);
    const reason = probe.available ? /precision bf16 needs the AVX-512 kernels, which DITTO_GEMM_KERNEL=avx2 turns off/ : /which this CPU lacks/;
    assert.match(r.stderr, new RegExp(`^error: .*${reason.source}`, "m"));
    assert.match(r.stderr, /^ {2}fix: use --precision fp32/m);
    assert.doesNotMatch(r.stderr, /^ {4}at /m);
});
