import {test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {mkdtempSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {gzipSync} from "node:zlib";
import {importWikidata} from "../../src/characters/importWikidata.js";
import {readWikipediaDump} from "../../src/characters/readWikipediaDump.js";
import {TopN} from "../../src/characters/TopN.js";
import {DittoError} from "../../src/errors/DittoError.js";

const dir = mkdtempSync(join(tmpdir(), "ditto-wd-"));

const item = (id: string, p31: string, labels: Record<string, string>, sitelinks: string[], claims: Record<string, unknown[]> = {}) => ({
    type: "item", id,
    labels: Object.fromEntries(Object.entries(labels).map(([l, v]) => [l, {language: l, value: v}])),
    descriptions: {en: {language: "en", value: `description of ${labels.en ?? id}`}},
    aliases: {},
    claims: {P31: [{mainsnak: {datavalue: {type: "wikibase-entityid", value: {id: p31}}}}],
        ...Object.fromEntries(Object.entries(claims).map(([p, vs]) => [p, vs.map((v) => ({mainsnak: {datavalue: v}}))]))},
    sitelinks: Object.fromEntries(sitelinks.map((s) => [s, {site: s, title: s === "enwiki" ? labels.en : `${labels.en} (${s})`}]))
});
const entity = (id: string) => ({type: "wikibase-entityid", value: {id}});

/** A dump in the real layout: "[", one entity per line with a trailing comma, "]". */
function dumpText(): string {
    const entities = [
        item("Q7259", "Q5", {en: "Ada Lovelace", zh: "爱达·勒芙蕾丝"}, ["enwiki", "zhwiki", "dewiki", "frwiki"],
            {P106: [entity("Q170790")], P569: [{type: "time", value: {time: "+1815-12-10T00:00:00Z", precision: 11}}], P27: [entity("Q174193")]}),
        item("Q4653", "Q15632617", {en: "Sherlock Holmes"}, ["enwiki", "dewiki", "frwiki", "eswiki", "itwiki"], {P170: [entity("Q35610")]}),
        item("Q1", "Q5", {en: "Minor Person"}, ["enwiki"]),
        item("Q2", "Q5", {de: "Nur Deutsch"}, ["dewiki", "enwiki", "frwiki", "itwiki", "eswiki", "ptwiki"]),
        item("Q146", "Q7377", {en: "House cat"}, ["enwiki", "dewiki", "frwiki", "eswiki", "itwiki", "ptwiki", "nlwiki"]),
        item("Q170790", "Q28640", {en: "mathematician", zh: "数学家"}, []),
        item("Q174193", "Q6256", {en: "United Kingdom of Great Britain and Ireland"}, []),
        item("Q35610", "Q5", {en: "Arthur Conan Doyle"}, ["enwiki", "dewiki"])
    ];
    return "[\n" + entities.map((e) => JSON.stringify(e)).join(",\n") + "\n]\n";
}

const wikiXml = `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/">
  <siteinfo><dbname>enwiki</dbname></siteinfo>
  <page>
    <title>Ada Lovelace</title>
    <ns>0</ns>
    <revision><text bytes="100" xml:space="preserve">{{Infobox person|name=Ada}}
'''Augusta Ada King''' was an English [[mathematician]] and [[Writer|writer]].&lt;ref&gt;cite&lt;/ref&gt;

== Life ==
She worked on the [[Analytical Engine]].</text></revision>
  </page>
  <page>
    <title>Unrelated</title>
    <ns>0</ns>
    <revision><text xml:space="preserve">nothing</text></revision>
  </page>
</mediawiki>
`;

test("Wikidata dump: characters by class and language, top N by sitelinks, claims with resolved labels, Wikipedia summaries", async () => {
    const wd = join(dir, "wd.json");
    writeFileSync(wd, dumpText());
    const wp = join(dir, "enwiki.xml");
    writeFileSync(wp, wikiXml);
    const chars = await importWikidata({wikidata: wd, wikipedia: [wp], languages: ["en", "zh"], count: 3});
    const en = chars.filter((c) => c.lang === "en");
    // Q146 (a cat) is no character, Q2 has no English label; 3 most-linked English ones remain
    assert.deepEqual(en.map((c) => c.label), ["Sherlock Holmes", "Ada Lovelace", "Arthur Conan Doyle"]);
    const ada = en.find((c) => c.label === "Ada Lovelace")!;
    assert.equal(ada.id, "wd-Q7259-en");
    assert.equal(ada.category, "real person");
    assert.equal(ada.popularity, 4);
    assert.ok(ada.claims.includes("occupation: mathematician"));
    assert.ok(ada.claims.includes("date of birth: 1815-12-10"));
    assert.ok(ada.claims.includes("country of citizenship: United Kingdom of Great Britain and Ireland"));
    assert.match(ada.summary, /^Augusta Ada King was an English mathematician and writer\.$/);
    assert.match(ada.wiki!.content, /Analytical Engine/);
    assert.equal(en.find((c) => c.label === "Sherlock Holmes")!.category, "fictional character");
    assert.ok(en.find((c) => c.label === "Sherlock Holmes")!.claims.includes("creator: Arthur Conan Doyle"));
    const zh = chars.filter((c) => c.lang === "zh");
    assert.deepEqual(zh.map((c) => c.label), ["爱达·勒芙蕾丝"]);
    assert.ok(zh[0]!.claims.includes("occupation: 数学家"), "entity values take the label in the character's language");
});

test("gzip and bzip2 dumps stream the same as plain ones; CirrusSearch dumps work too", async () => {
    const plain = join(dir, "p.json");
    writeFileSync(plain, dumpText());
    const gz = join(dir, "p.json.gz");
    writeFileSync(gz, gzipSync(dumpText()));
    const bz = join(dir, "p.json.bz2");
    writeFileSync(bz, execFileSync("bzip2", ["-c", plain]));
    const expected = await importWikidata({wikidata: plain, languages: ["en"], count: 2});
    assert.deepEqual(await importWikidata({wikidata: gz, languages: ["en"], count: 2}), expected);
    assert.deepEqual(await importWikidata({wikidata: bz, languages: ["en"], count: 2}), expected);
    const cirrus = join(dir, "cirrus.json.gz");
    writeFileSync(cirrus, gzipSync([JSON.stringify({index: {_id: "1"}}), JSON.stringify({title: "Ada Lovelace", text: "Ada was a mathematician. More text.", opening_text: "Ada was a mathematician."})].join("\n") + "\n"));
    const found = await readWikipediaDump(cirrus, new Set(["Ada Lovelace"]));
    assert.equal(found.get("Ada Lovelace")!.summary, "Ada was a mathematician.");
});

test("a dump that is not what it claims is a clear error", async () => {
    const fakeGz = join(dir, "fake.json.gz");
    writeFileSync(fakeGz, dumpText());
    await assert.rejects(importWikidata({wikidata: fakeGz, languages: ["en"], count: 2}), (e: unknown) => e instanceof DittoError && e.code === "DUMP_NOT_WHAT_IT_CLAIMS");
    const notWd = join(dir, "other.json");
    writeFileSync(notWd, "[\n{\"hello\": 1},\n]\n");
    await assert.rejects(importWikidata({wikidata: notWd, languages: ["en"], count: 2}), (e: unknown) => e instanceof DittoError && e.code === "DUMP_NOT_WHAT_IT_CLAIMS" && /other\.json:2/.test(e.message));
    const truncated = join(dir, "cut.json.gz");
    writeFileSync(truncated, gzipSync(dumpText()).subarray(0, 200));
    await assert.rejects(importWikidata({wikidata: truncated, languages: ["en"], count: 2}), (e: unknown) => e instanceof DittoError && e.code === "DUMP_CORRUPT");
    const badBz = join(dir, "bad.json.bz2");
    writeFileSync(badBz, Buffer.concat([Buffer.from("BZh9"), Buffer.alloc(64, 7)]));
    await assert.rejects(importWikidata({wikidata: badBz, languages: ["en"], count: 2}), (e: unknown) => e instanceof DittoError && e.code === "DUMP_CORRUPT");
    const notWiki = join(dir, "wiki.txt");
    writeFileSync(notWiki, "just some text\n");
    await assert.rejects(readWikipediaDump(notWiki, new Set()), (e: unknown) => e instanceof DittoError && e.code === "DUMP_NOT_WHAT_IT_CLAIMS");
});

test("TopN keeps the N largest with a bounded heap, ties by key", () => {
    const top = new TopN<number>(3);
    for (const [i, s] of [5, 1, 9, 3, 9, 7, 2].entries()) top.push(s, `k${i}`, i);
    assert.deepEqual(top.items(), [2, 4, 5]);
});
