// The training driver on the real native engine: memorize a reply and get it back from
// node-llama-cpp through the adapter, and resume a killed run exactly.
import {test, after} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {LlamaChatSession, type LlamaModel} from "node-llama-cpp";
import {finetune} from "../../src/train/finetune.js";
import {LossLog} from "../../src/train/LossLog.js";
import {ChatTokenizer} from "../../src/train/ChatTokenizer.js";
import {checkAdapter} from "../../src/adapter/checkAdapter.js";
import {openEngine} from "../../src/engine/openEngine.js";
import type {EngineOpenOptions, TrainEngine} from "../../src/engine/TrainEngine.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {loadCpuModel} from "../adapter/inference.js";
import {writeTinyDataset} from "./trainData.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-finetune-engine-"));
const models: LlamaModel[] = [];
after(async () => { for (const m of models) await m.dispose(); });

const system = "You are Ada Lovelace.";
const question = "Who are you?";
const reply = "I am Ada, and I count in base seven.";

for (const arch of ["qwen2", "qwen3", "llama"] as const) {
    test(`${arch}: memorize a reply, load adapter.gguf in node-llama-cpp, greedy chat returns the reply`, async () => {
        const dataPath = join(dir, `memorize-${arch}.jsonl`);
        writeFileSync(dataPath, JSON.stringify({messages: [{role: "system", content: system}, {role: "user", content: question}, {role: "assistant", content: reply}]}) + "\n");
        const modelPath = fixtureModel(arch, "f16");
        // One load serves tokenizing (the same chat wrapper) and inference.
        const model = await loadCpuModel(modelPath);
        models.push(model);
        const res = await finetune({modelPath, dataPath, outDir: join(dir, `memorize-${arch}`), rank: 8, alpha: 16, dropout: 0,
            lr: 1e-2, warmup: 0, schedule: "constant", maxSteps: 20, batchSize: 1, gradAccum: 1, seqLen: 64, evalFraction: 0,
            saveEvery: 0, threads: 2, progress: "none"}, {log: () => {}, tokenizer: ChatTokenizer.fromModel(model)});
        const log = LossLog.read(res.lossLogPath);
        console.log(`${arch}: loss ${log[0]!.loss.toFixed(4)} -> ${log.at(-1)!.loss.toFixed(4)} in ${log.length} steps`);
        // The fixtures' tied output heads are small, so the distribution stays wide (loss ~9 nats)
        // even when the reply is every step's argmax: loss must fall, greedy decoding is the test.
        assert.ok(log.at(-1)!.loss < 0.8 * log[0]!.loss, "loss falls");
        assert.equal(checkAdapter(res.adapterPath, modelPath).rank, 8);

        const context = await model.createContext({contextSize: 256, threads: 2, lora: {adapters: [{filePath: res.adapterPath, scale: 1}]}});
        try {
            const session = new LlamaChatSession({contextSequence: context.getSequence(), systemPrompt: system});
            const answer = await session.prompt(question, {maxTokens: 32});
            assert.equal(answer, reply);
        } finally {
            await context.dispose();
        }
    });
}

/** The real engine, dying on its n-th accumulate call the way a killed process would stop. */
function crashingEngine(afterCalls: number) {
    return async (options: EngineOpenOptions): Promise<TrainEngine> => {
        const engine = await openEngine(options);
        let calls = 0;
        return {
            info: engine.info,
            accumulate: (b) => ++calls > afterCalls ? Promise.reject(new Error("simulated crash")) : engine.accumulate(b),
            evaluate: (b) => engine.evaluate(b),
            optimizerStep: (s) => engine.optimizerStep(s),
            logits: (t) => engine.logits(t),
            getState: () => engine.getState(),
            setState: (s) => engine.setState(s),
            loraPairs: () => engine.loraPairs(),
            close: () => engine.close()
        };
    };
}

test("real engine: a killed run resumed from its checkpoint gives the uninterrupted run's loss curve and adapter", async () => {
    const dataPath = join(dir, "resume.jsonl");
    writeTinyDataset(dataPath, 10);
    const options = {modelPath: fixtureModel("qwen2", "f16"), dataPath, rank: 4, alpha: 8, dropout: 0.1, lr: 5e-3, warmup: 2,
        maxSteps: 6, batchSize: 2, gradAccum: 2, seqLen: 64, evalFraction: 0.2, evalEvery: 2, saveEvery: 3, seed: 3, threads: 2, progress: "none" as const};
    const tokenizer = models.find((m) => m.filename?.includes("qwen2")) ? ChatTokenizer.fromModel(models.find((m) => m.filename?.includes("qwen2"))!) : await ChatTokenizer.load(options.modelPath);
    const quiet = {log: () => {}, tokenizer};
    const straight = await finetune({...options, outDir: join(dir, "straight")}, quiet);
    const killedDir = join(dir, "killed");
    await assert.rejects(finetune({...options, outDir: killedDir}, {...quiet, openEngine: crashingEngine(9)}), /simulated crash/);
    const resumed = await finetune({...options, outDir: killedDir, resume: true}, quiet);
    assert.equal(resumed.startStep, 3);
    const curve = (path: string) => LossLog.read(path).map(({elapsed: _e, ...r}) => r);
    const a = curve(straight.lossLogPath), b = curve(resumed.lossLogPath);
    let maxDiff = 0;
    a.forEach((r, i) => { maxDiff = Math.max(maxDiff, Math.abs(r.loss - b[i]!.loss)); });
    console.log(`resume: ${a.length} steps, largest loss difference ${maxDiff}`);
    assert.deepEqual(b, a);
    assert.ok(readFileSync(straight.adapterPath).equals(readFileSync(resumed.adapterPath)), "same adapter bytes");
});
