import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {parse} from "yaml";
import {exportRun} from "../../src/export/exportRun.js";
import {loadRecipe} from "../../src/recipes/loadRecipe.js";
import {DittoError} from "../../src/errors/DittoError.js";

function runWithDataset(): string {
    const run = mkdtempSync(join(tmpdir(), "ditto-export-"));
    const line = {messages: [{role: "system", content: "You are Ada Lovelace, a mathematician."},
        {role: "user", content: "What engine did you write about?"}, {role: "assistant", content: "The Analytical Engine."}],
    meta: {id: "s1", character: "c1", lang: "en", provenance: ["own"]}};
    writeFileSync(join(run, "dataset.jsonl"), JSON.stringify(line) + "\n" + JSON.stringify({...line, meta: {...line.meta, id: "s2"}}) + "\n");
    return run;
}

test("trl, axolotl and llama-factory exports carry the data and the recipe's LoRA settings", () => {
    const {recipe} = loadRecipe("qwen-7b", ["train.lora.rank=8", "train.lora.targets=[q, v]"]);
    const run = runWithDataset();
    const trl = exportRun({runDir: run, format: "trl", recipe});
    const trlCfg = parse(readFileSync(trl.find((f) => f.endsWith(".yaml"))!, "utf8"));
    assert.equal(trlCfg.model_name_or_path, "Qwen/Qwen2.5-7B-Instruct");
    assert.equal(trlCfg.lora_r, 8);
    assert.deepEqual(trlCfg.lora_target_modules, ["q_proj", "v_proj"]);
    assert.equal(trlCfg.assistant_only_loss, true);
    assert.equal(readFileSync(trl.find((f) => f.endsWith(".jsonl"))!, "utf8").trim().split("\n").length, 2);

    const ax = parse(readFileSync(exportRun({runDir: run, format: "axolotl", recipe}).find((f) => f.endsWith(".yaml"))!, "utf8"));
    assert.equal(ax.adapter, "lora");
    assert.equal(ax.datasets[0].field_messages, "messages");
    assert.deepEqual(ax.datasets[0].roles_to_train, ["assistant"]);

    const lf = exportRun({runDir: run, format: "llama-factory", recipe});
    const info = JSON.parse(readFileSync(lf.find((f) => f.endsWith("dataset_info.json"))!, "utf8"));
    assert.equal(info.ditto.formatting, "sharegpt");
    const lfCfg = parse(readFileSync(lf.find((f) => f.endsWith(".yaml"))!, "utf8"));
    assert.equal(lfCfg.lora_target, "q_proj,v_proj");
    assert.equal(lfCfg.template, "qwen");
});

test("export of a run without a data set says which command makes it", () => {
    const {recipe} = loadRecipe("tiny");
    const empty = mkdtempSync(join(tmpdir(), "ditto-export-empty-"));
    assert.throws(() => exportRun({runDir: empty, format: "trl", recipe}),
        (err: unknown) => err instanceof DittoError && /dataset\.jsonl not found/.test(err.message) && /ditto generate/.test(err.hint ?? ""));
});

test("a damaged data set line is named by file and line", () => {
    const {recipe} = loadRecipe("tiny");
    const run = runWithDataset();
    writeFileSync(join(run, "dataset.jsonl"), readFileSync(join(run, "dataset.jsonl"), "utf8") + JSON.stringify({messages: "oops"}) + "\n");
    assert.throws(() => exportRun({runDir: run, format: "axolotl", recipe}), /dataset\.jsonl:3/);
});
