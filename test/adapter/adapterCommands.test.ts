import {test} from "node:test";
import assert from "node:assert/strict";
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {writeAdapterGguf} from "../../src/adapter/writeAdapterGguf.js";
import {readGgufHeader} from "../../src/gguf/readGgufHeader.js";
import {fixtureModel} from "../helpers/fixtureModel.js";
import {ditto} from "../train/ditto.js";
import {randomPairs} from "./randomPairs.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-adapter-cli-"));
const model = fixtureModel("qwen2", "f16");
const adapter = join(dir, "adapter.gguf");
writeAdapterGguf(randomPairs("qwen2", 4, {targets: ["q", "v", "down"]}), {arch: "qwen2", alpha: 8}, adapter);

test("ditto adapter check: ok for a fitting adapter, a named problem and a fix for a wrong one", async () => {
    const ok = await ditto(["adapter", "check", "--model", model, "--adapter", adapter]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /qwen2 LoRA, rank 4, alpha 8, 6 matrices in 2 layers \(attn_q, attn_v, ffn_down\)/);
    const llama = await ditto(["adapter", "check", "--model", fixtureModel("llama", "f16"), "--adapter", adapter]);
    assert.equal(llama.code, 1);
    assert.match(llama.stderr, /error: .*adapter\.gguf: was trained for architecture qwen2, but .* is llama/);
    assert.match(llama.stderr, /^ {2}fix: /m);
});

test("ditto adapter merge and export-peft write their outputs", async () => {
    const merged = join(dir, "merged.gguf");
    const r = await ditto(["adapter", "merge", "--model", model, "--adapter", adapter, "--out", merged]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /6 tensors merged/);
    assert.equal(readGgufHeader(merged).tensors.find((t) => t.name === "blk.0.attn_q.weight")!.type, 1, "F16 base stays F16 with --type auto");
    const q8 = await ditto(["adapter", "merge", "--model", model, "--adapter", adapter, "--out", join(dir, "merged-q8.gguf"), "--type", "q8_0"]);
    assert.equal(q8.code, 0, q8.stderr);
    assert.equal(readGgufHeader(join(dir, "merged-q8.gguf")).tensors.find((t) => t.name === "blk.0.attn_q.weight")!.type, 8, "--type q8_0 writes Q8_0");
    const peft = join(dir, "peft");
    const e = await ditto(["adapter", "export-peft", "--model", model, "--adapter", adapter, "--out", peft, "--base-model", "Qwen/Qwen2.5-0.5B-Instruct"]);
    assert.equal(e.code, 0, e.stderr);
    assert.ok(existsSync(join(peft, "adapter_model.safetensors")) && existsSync(join(peft, "adapter_config.json")));
    const bad = await ditto(["adapter", "merge", "--model", model, "--adapter", model, "--out", join(dir, "x.gguf")]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is a model \(general\.type=model\), not a LoRA adapter/);
});

test("ditto adapter merge into a type it cannot decode says so, naming the tensor and type", async () => {
    // blk.0.attn_q.weight's type field -> 23 (IQ4_XS): name, u32 n_dims, 2 x u64 dims, then the type
    const bytes = readFileSync(model);
    const name = Buffer.from("blk.0.attn_q.weight");
    bytes.writeUInt32LE(23, bytes.indexOf(name) + name.length + 4 + 16);
    const iq = join(dir, "iq4.gguf");
    writeFileSync(iq, bytes);
    const r = await ditto(["adapter", "merge", "--model", iq, "--adapter", adapter, "--out", join(dir, "iq-merged.gguf")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: .*iq4\.gguf: tensor blk\.0\.attn_q\.weight is IQ4_XS, which ditto cannot dequantize for merging \(F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K\)/);
    assert.match(r.stderr, /^ {2}fix: /m);
});
