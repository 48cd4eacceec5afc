import {test} from "node:test";
import assert from "node:assert/strict";
import {mkdtempSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {readCharacterFile} from "../../src/characters/readCharacterFile.js";
import {formatCharacterProblem} from "../../src/characters/CharacterProblem.js";
import {characterId} from "../../src/characters/characterId.js";
import {DittoError} from "../../src/errors/DittoError.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-chars-"));
const write = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };

test("JSONL: bad lines are reported with line and field, good records go on", () => {
    const f = write("a.jsonl", [
        JSON.stringify({label: "Ada Lovelace", description: "mathematician", trans_claims: ["date of birth: 1815"]}),
        "{not json",
        JSON.stringify({label: "Nobody", description: ""}),
        "",
        JSON.stringify({label: "Li Bai", description: "poet", lang: "zh", claims: {"occupation": "poet"}})
    ].join("\n"));
    const {characters, problems} = readCharacterFile(f);
    assert.deepEqual(characters.map((c) => c.label), ["Ada Lovelace", "Li Bai"]);
    assert.deepEqual(characters[0]!.claims, ["date of birth: 1815"]);
    assert.deepEqual(characters[1]!.claims, ["occupation: poet"]);
    assert.equal(characters[1]!.id, characterId("Li Bai", "zh"));
    assert.deepEqual(problems.map((p) => [p.line, p.field]), [[2, "(line)"], [3, "description"]]);
    assert.match(formatCharacterProblem(problems[1]!), /a\.jsonl:3: description: /);
});

test("ids are stable: the hash of label and language when absent, kept when given", () => {
    const f = write("b.jsonl", JSON.stringify({label: "Ada", description: "x"}) + "\n" + JSON.stringify({id: "my-id", label: "Bob", description: "y"}) + "\n");
    const again = write("b2.jsonl", JSON.stringify({label: " Ada", description: "other text"}) + "\n");
    assert.equal(readCharacterFile(f).characters[0]!.id, readCharacterFile(again).characters[0]!.id);
    assert.equal(readCharacterFile(f).characters[1]!.id, "my-id");
    assert.notEqual(characterId("Ada", "en"), characterId("Ada", "zh"));
});

test("YAML and JSON arrays report the line of the bad field", () => {
    const y = write("c.yaml", "characters:\n  - label: Ada\n    description: m\n  - label: Bob\n    descriptoin: typo\n  - label: Cy\n    description: ok\n    aliases: 5\n");
    const r = readCharacterFile(y);
    assert.deepEqual(r.characters.map((c) => c.label), ["Ada"]);
    assert.deepEqual(r.problems.map((p) => `${p.line}:${p.field}`), ["4:description", "5:descriptoin", "8:aliases"]);
    const j = write("d.json", '[\n  {"label": "Ada", "description": "m"},\n  {"label": 7,\n   "description": "x"},\n  {"label": "Ada", "description": "again"}\n]\n');
    const rj = readCharacterFile(j);
    assert.equal(rj.characters.length, 1);
    assert.deepEqual(rj.problems.map((p) => `${p.line}:${p.field}`), ["3:label", "5:id"]);
});

test("unreadable files are clear errors", () => {
    assert.throws(() => readCharacterFile(join(dir, "missing.jsonl")), (e: unknown) => e instanceof DittoError && e.code === "CHARACTERS_MISSING");
    assert.throws(() => readCharacterFile(write("e.txt", "x")), (e: unknown) => e instanceof DittoError && e.code === "CHARACTERS_TYPE");
    assert.throws(() => readCharacterFile(write("f.json", "[{\"label\": ")), (e: unknown) => e instanceof DittoError && e.code === "CHARACTERS_SYNTAX" && /f\.json:\d+/.test(e.message));
    assert.throws(() => readCharacterFile(write("g.yaml", "label: Ada\n")), (e: unknown) => e instanceof DittoError && e.code === "CHARACTERS_SHAPE");
});
