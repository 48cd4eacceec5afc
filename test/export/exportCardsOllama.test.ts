import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {importCards} from "../../src/cards/importCards.js";
import {readCardFile} from "../../src/cards/readCardFile.js";
import {DittoError} from "../../src/errors/DittoError.js";
import {exportCards} from "../../src/export/exportCards.js";
import {exportOllama} from "../../src/export/exportOllama.js";
import {ollamaTemplate} from "../../src/export/ollamaTemplate.js";
import {fixtureCharacters, heldOutIds, makeFixtureAdapter, makeFixtureRun} from "../eval/evalFixtureRun.js";
import {fixtureModel} from "../helpers/fixtureModel.js";

/** A trained run: the fixture run's characters and data set, an adapter, and train.json naming the base model. */
function trainedRun(): string {
    const run = mkdtempSync(join(tmpdir(), "ditto-export-cards-"));
    makeFixtureRun(run);
    makeFixtureAdapter(join(run, "train", "adapter.gguf"));
    writeFileSync(join(run, "train", "train.json"), JSON.stringify({steps: 4, options: {modelPath: fixtureModel("qwen2", "q8_0")}}));
    // a profile with everything the card mapping carries: summary, personality, scenario, tags, aliases
    const rich = {...fixtureCharacters[0]!, aliases: ["Countess of Lovelace"], summary: "She worked with Charles Babbage.\n\nShe died in 1852.",
        claims: ["personality: precise and imaginative", "scenario: London, 1843", "father: Lord Byron", "tags: science, history"]};
    writeFileSync(join(run, "characters.jsonl"), [rich, ...fixtureCharacters.slice(1)].map((c) => JSON.stringify(c) + "\n").join(""));
    return run;
}

const trainedIds = fixtureCharacters.map((c) => c.id).filter((id) => !heldOutIds.includes(id));

test("cards: a V2 card per trained character, JSON and PNG, with the trained system line; importing gives the profiles back", () => {
    const run = trainedRun();
    const files = exportCards({runDir: run});
    assert.equal(files.length, trainedIds.length * 2);
    const profiles = new Map(readFileSync(join(run, "characters.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((c) => [c.id, c]));
    const dataset = readFileSync(join(run, "dataset.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));

    const card = JSON.parse(readFileSync(files.find((f) => f.endsWith("ada-lovelace.json"))!, "utf8"));
    assert.equal(card.spec, "chara_card_v2");
    assert.equal(card.data.name, "Ada Lovelace");
    assert.equal(card.data.system_prompt, dataset.find((d) => d.meta.character === "ada").messages[0].content);
    assert.equal(card.data.personality, "precise and imaginative");
    assert.equal(card.data.scenario, "London, 1843");
    assert.deepEqual(card.data.tags, ["science", "history"]);
    assert.equal(card.data.mes_example, "<START>\n{{user}}: Hello?\n{{char}}: Good day.");

    // round trip, PNG and JSON alike: the same profile, field for field
    const {characters, problems} = importCards([join(run, "export", "cards")]);
    assert.deepEqual(problems.filter((p) => !/same character as/.test(p)), []);
    assert.deepEqual(characters.map((c) => c.id).sort(), [...trainedIds].sort());
    for (const c of characters) assert.deepEqual(c, profiles.get(c.id));

    // a front-end that drops extensions: the card's own fields still map back to the same profile text
    delete card.data.extensions;
    const plain = join(run, "plain.json");
    writeFileSync(plain, JSON.stringify(card));
    const back = readCardFile(plain);
    const ada = profiles.get("ada");
    assert.equal(back.label, ada.label);
    assert.equal(back.description, ada.description);
    assert.equal(back.summary, ada.summary);
    assert.deepEqual([...back.claims].sort(), [...ada.claims].sort());
});

test("ollama: a Modelfile per trained character with FROM, ADAPTER, SYSTEM, the ChatML template and stop tokens", () => {
    const run = trainedRun();
    const {files, commands} = exportOllama({runDir: run});
    assert.equal(files.length, trainedIds.length);
    const file = files.find((f) => f.includes("-ada-lovelace"))!;
    const text = readFileSync(file, "utf8");
    assert.match(text, new RegExp(`^FROM ${fixtureModel("qwen2", "q8_0").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    assert.match(text, /^ADAPTER \/.*\/train\/adapter\.gguf$/m);
    assert.match(text, /^SYSTEM """You are Ada Lovelace, an English mathematician who wrote the first computer program\."""$/m);
    assert.match(text, /^TEMPLATE """\{\{- range \.Messages \}\}<\|im_start\|>\{\{ \.Role \}\}\n\{\{ \.Content \}\}<\|im_end\|>\n\{\{ end \}\}<\|im_start\|>assistant\n"""$/m);
    assert.deepEqual(text.match(/^PARAMETER stop .*$/gm), ["PARAMETER stop \"<|im_start|>\"", "PARAMETER stop \"<|im_end|>\""]);
    assert.ok(commands.some((c) => c === `ollama create ${file.split("/").at(-2)} -f ${file}`), commands.join("\n"));
});

test("ollama: Llama 3 templates are recognized; other templates and a run without adapter are refused with the fix", () => {
    const llama3 = ollamaTemplate("{{ '<|begin_of_text|>' }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n{{ m.content }}<|eot_id|>{% endfor %}", "m.gguf");
    assert.equal(llama3.name, "llama3");
    assert.deepEqual(llama3.stop, ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]);
    assert.throws(() => ollamaTemplate("[INST] {{ m }} [/INST]", "m.gguf"), (e: unknown) => e instanceof DittoError && /neither ChatML nor Llama 3/.test(e.message));
    assert.throws(() => ollamaTemplate(undefined, "m.gguf"), /has no chat template/);
    const run = mkdtempSync(join(tmpdir(), "ditto-export-untrained-"));
    makeFixtureRun(run);
    assert.throws(() => exportOllama({runDir: run}), (e: unknown) => e instanceof DittoError && /train\.json not found/.test(e.message) && /ditto train/.test(e.hint ?? ""));
});

test("ditto export --format ollama prints the ollama create commands", () => {
    const run = trainedRun();
    writeFileSync(join(run, "manifest.json"), JSON.stringify({split: {train: trainedIds, eval: heldOutIds}}));
    const res = spawnSync(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "export", run, "--format", "ollama"], {encoding: "utf8"});
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^wrote .*\/export\/ollama\/ditto-export-cards-\w+-ada-lovelace\/Modelfile$/m);
    assert.match(res.stdout, /then, where Ollama runs:\n {2}ollama create ditto-export-cards-\w+-ada-lovelace -f \S+Modelfile/);
});
