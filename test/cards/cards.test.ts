import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {importCards} from "../../src/cards/importCards.js";
import {readCardFile} from "../../src/cards/readCardFile.js";
import {stripMacros} from "../../src/cards/stripMacros.js";
import {collectCharacters} from "../../src/generate/collectCharacters.js";
import {recipeSchema} from "../../src/recipes/recipeSchema.js";
import {b64, pngWithChunks} from "./pngWithChunks.js";

const seraphina = {
    name: "Seraphina",
    description: "{{char}} is a guardian of the Eldergrove forest who heals travellers.\n\nShe has watched over the glade for three hundred years and trusts {{user}} slowly.",
    personality: "gentle, protective,\nwise",
    scenario: "{{user}} wakes up in {{char}}'s glade after an attack.",
    first_mes: "*{{char}} kneels beside {{user}}.* You are safe now.",
    mes_example: "<START>\n{{user}}: Where am I?\n{{char}}: In my glade. {{// keep this short}}Rest.",
    creator_notes: "Works best with long replies.",
    tags: ["fantasy", "healer"]
};
const v2 = {spec: "chara_card_v2", spec_version: "2.0", data: {...seraphina, system_prompt: "", alternate_greetings: ["Hello, {{user}}."],
    character_book: {entries: [{keys: ["Eldergrove"], content: "Eldergrove is an ancient forest.", enabled: true}, {keys: ["x"], content: "disabled", enabled: false}]}}};
const v3 = {spec: "chara_card_v3", spec_version: "3.0", data: {...v2.data, name: "Seraphina V3", nickname: "Sera"}};

function dir(): string {
    return mkdtempSync(join(tmpdir(), "ditto-cards-"));
}

test("V1, V2 and V3 JSON cards map onto profile fields, with macros replaced", () => {
    const d = dir();
    writeFileSync(join(d, "v1.json"), JSON.stringify(seraphina));
    writeFileSync(join(d, "v2.json"), JSON.stringify(v2));
    writeFileSync(join(d, "v3.json"), JSON.stringify(v3));
    const one = readCardFile(join(d, "v1.json"));
    assert.equal(one.label, "Seraphina");
    assert.equal(one.description, "Seraphina is a guardian of the Eldergrove forest who heals travellers.");
    assert.equal(one.summary, "She has watched over the glade for three hundred years and trusts User slowly.");
    assert.deepEqual(one.claims, ["personality: gentle, protective, wise", "scenario: User wakes up in Seraphina's glade after an attack.", "tags: fantasy, healer"]);
    assert.equal(one.wiki!.content, "First message:\n*Seraphina kneels beside User.* You are safe now.\n\nExample dialogues:\nUser: Where am I?\nSeraphina: In my glade. Rest.\n\n" +
        "Creator's notes:\nWorks best with long replies.");
    assert.equal(one.source, "card");
    assert.equal(one.category, "fictional character");

    const two = readCardFile(join(d, "v2.json"));
    assert.deepEqual(two.claims, ["personality: gentle, protective, wise", "scenario: User wakes up in Seraphina's glade after an attack.",
        "Eldergrove: Eldergrove is an ancient forest.", "tags: fantasy, healer"]);
    assert.match(two.wiki!.content, /Other greetings:\n- Hello, User\./);

    const three = readCardFile(join(d, "v3.json"), {lang: "de"});
    assert.equal(three.label, "Seraphina V3");
    assert.deepEqual(three.aliases, ["Sera"]);
    assert.equal(three.lang, "de");
    assert.notEqual(three.id, readCardFile(join(d, "v3.json")).id, "the language is part of the id");
});

test("a long first paragraph becomes its first sentence; the rest goes to the summary", () => {
    const d = dir();
    const long = `${"A wandering bard of the northern roads. ".repeat(1)}${"She sings of old kings and older wars, ".repeat(10)}and never stays.`;
    writeFileSync(join(d, "bard.json"), JSON.stringify({spec: "chara_card_v2", data: {name: "Bard", description: long}}));
    const c = readCardFile(join(d, "bard.json"));
    assert.equal(c.description, "A wandering bard of the northern roads.");
    assert.ok(c.summary.startsWith("She sings of old kings"));
    assert.ok(c.summary.endsWith("and never stays."));
});

test("macros: {{char}} and {{user}} in any case and the legacy <BOT>/<USER>; other macros dropped", () => {
    assert.equal(stripMacros("{{Char}} greets {{USER}}; <BOT> and <USER>. {{random:red,blue}} {{time}}{{newline}}end", "Ada"),
        "Ada greets User; Ada and User. red\nend");
});

test("PNG cards: chara in tEXt, ccv3 preferred over chara, iTXt (plain and compressed) and zTXt", () => {
    const d = dir();
    writeFileSync(join(d, "v2.png"), pngWithChunks([{type: "tEXt", keyword: "chara", text: b64(v2)}]));
    writeFileSync(join(d, "v3.png"), pngWithChunks([{type: "tEXt", keyword: "chara", text: b64(v2)}, {type: "tEXt", keyword: "ccv3", text: b64(v3)}]));
    writeFileSync(join(d, "itxt.png"), pngWithChunks([{type: "iTXt", keyword: "ccv3", text: b64({...v3, data: {...v3.data, name: "Ίρις"}})}]));
    writeFileSync(join(d, "itxt-z.png"), pngWithChunks([{type: "iTXt", keyword: "chara", text: b64({...v2, data: {...v2.data, name: "Zed"}}), compressed: true}]));
    writeFileSync(join(d, "ztxt.png"), pngWithChunks([{type: "zTXt", keyword: "chara", text: b64({...v2, data: {...v2.data, name: "Zoe"}})}]));
    assert.equal(readCardFile(join(d, "v2.png")).label, "Seraphina");
    assert.equal(readCardFile(join(d, "v3.png")).label, "Seraphina V3");
    assert.equal(readCardFile(join(d, "itxt.png")).label, "Ίρις");
    assert.equal(readCardFile(join(d, "itxt-z.png")).label, "Zed");
    assert.equal(readCardFile(join(d, "ztxt.png")).label, "Zoe");
});

/** A folder with good cards and one of each kind of bad one; returns the expected problem per bad file. */
function mixedFolder(): {dir: string, expected: Record<string, RegExp>} {
    const d = dir();
    mkdirSync(join(d, "sub"));
    writeFileSync(join(d, "good.png"), pngWithChunks([{type: "tEXt", keyword: "chara", text: b64(v2)}]));
    writeFileSync(join(d, "sub", "good.json"), JSON.stringify(v3));
    writeFileSync(join(d, "notes.txt"), "not looked at: a folder gives only .png and .json files");
    const bad: Record<string, [Buffer | string, RegExp]> = {
        "not-png.png": ["just text", /not a PNG file/],
        "no-chunk.png": [pngWithChunks([{type: "tEXt", keyword: "Software", text: "paint"}]), /PNG without a character card \(no "chara" or "ccv3" text chunk; it has "Software"\)/],
        "bad-base64.png": [pngWithChunks([{type: "tEXt", keyword: "chara", text: "{not base64!}"}]), /the "chara" chunk is not base64/],
        "bad-json.png": [pngWithChunks([{type: "tEXt", keyword: "chara", text: Buffer.from("{\"spec\": ").toString("base64")}]), /the "chara" chunk is not valid JSON/],
        "no-name.json": [JSON.stringify({spec: "chara_card_v2", data: {description: "nameless"}}), /data\.name: missing/],
        "empty-name.json": [JSON.stringify({spec: "chara_card_v2", data: {name: "  ", description: "x"}}), /data\.name: empty/],
        "wrong-type.json": [JSON.stringify({spec: "chara_card_v2", data: {name: "X", description: 5}}), /data\.description: expected string/],
        "no-data.json": [JSON.stringify({spec: "chara_card_v3"}), /data: missing/],
        "spec.json": [JSON.stringify({spec: "chara_card_v9", data: {}}), /spec: "chara_card_v9" is not a card version/],
        "not-card.json": [JSON.stringify({name: "pkg", version: "1.0.0"}), /not a character card/],
        "broken.json": ["{\"name\": ", /the file is not valid JSON/],
        "huge-chunk.png": [hugeChunkPng(), /tEXt chunk at byte 33 is 50\.0 MB, over the 16 MiB a card may hold/],
        "no-description.json": [JSON.stringify({spec: "chara_card_v2", data: {name: "Blank"}}), /data\.description: empty, and so are personality and scenario/]
    };
    const crc = pngWithChunks([{type: "tEXt", keyword: "chara", text: b64(v2)}]);
    crc[45] = crc[45]! ^ 0xff; // a byte inside the chara chunk's data
    bad["crc.png"] = [crc, /damaged PNG: CRC values for tEXt header do not match/];
    const whole = pngWithChunks([{type: "tEXt", keyword: "chara", text: b64(v2)}]);
    bad["truncated.png"] = [whole.subarray(0, 60), /damaged PNG: chunk "tEXt" at byte 33 claims \d+ bytes, the file has \d+ left/];
    const expected: Record<string, RegExp> = {};
    for (const [name, [content, problem]] of Object.entries(bad)) {
        writeFileSync(join(d, name), content);
        expected[join(d, name)] = problem;
    }
    return {dir: d, expected};
}

/** A PNG with a 50 MB chara tEXt chunk after its header (its CRC left zero: the size alone must refuse it). */
function hugeChunkPng(): Buffer {
    const small = pngWithChunks([]);
    const data = Buffer.alloc(50_000_000, 0x41);
    data.write("chara\0", "latin1");
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write("tEXt", 4, "latin1");
    return Buffer.concat([small.subarray(0, 33), head, data, Buffer.alloc(4), small.subarray(33)]);
}

test("each bad card gets `file: problem` and the good ones are imported", () => {
    const {dir: d, expected} = mixedFolder();
    const {characters, problems, files} = importCards([d, join(d, "good.png")]);
    assert.deepEqual(characters.map((c) => c.label), ["Seraphina", "Seraphina V3"]);
    assert.equal(files, Object.keys(expected).length + 3);
    const byFile = new Map(problems.map((p) => [p.slice(0, p.indexOf(": ")), p.slice(p.indexOf(": ") + 2)]));
    for (const [file, problem] of Object.entries(expected)) assert.match(byFile.get(file) ?? "(no problem reported)", problem, file);
    assert.match(byFile.get(join(d, "good.png"))!, /same character as .*good\.png \("Seraphina", en\); kept the first/);
    assert.equal(problems.length, Object.keys(expected).length + 1);
});

test("ditto characters import --cards writes the good cards and prints each bad one", () => {
    const {dir: d, expected} = mixedFolder();
    const out = join(d, "characters.jsonl");
    const res = spawnSync(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "characters", "import", "--cards", d, "--out", out], {encoding: "utf8"});
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`wrote 2 characters to ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(${Object.keys(expected).length + 2} file\\(s\\), ${Object.keys(expected).length} skipped\\)`));
    for (const [file, problem] of Object.entries(expected)) assert.match(res.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${problem.source}`, "m"));
    assert.equal(readFileSync(out, "utf8").trim().split("\n").length, 2);

    const none = spawnSync(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "characters", "import", "--cards", join(d, "broken.json"), "--out", out], {encoding: "utf8"});
    assert.equal(none.status, 1);
    assert.match(none.stderr, /error: no character card could be read from 1 file\(s\) \(problems above\)\n\s+fix: /);
});

test("a recipe can take its characters from cards", async () => {
    const d = dir();
    mkdirSync(join(d, "cards"));
    writeFileSync(join(d, "cards", "a.json"), JSON.stringify(v2));
    writeFileSync(join(d, "cards", "b.png"), pngWithChunks([{type: "tEXt", keyword: "chara", text: b64(v3)}]));
    writeFileSync(join(d, "cards", "c.json"), "{");
    const recipe = recipeSchema.parse({name: "cards", models: {generator: "-"}, characters: {source: "cards", files: ["cards"], count: 10}});
    const warnings: string[] = [];
    const got = await collectCharacters({recipe, recipeDir: d, runDir: d, prompts: undefined as never, model: undefined as never,
        warn: (m) => warnings.push(m), report: () => {}});
    assert.deepEqual(got.map((c) => c.label).sort(), ["Seraphina", "Seraphina V3"]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /c\.json: the file is not valid JSON/);
});
