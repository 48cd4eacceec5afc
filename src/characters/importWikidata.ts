import {DittoError} from "../errors/DittoError.js";
import type {Character} from "./characterSchema.js";
import {openDump} from "./openDump.js";
import {readWikipediaDump} from "./readWikipediaDump.js";
import {TopN} from "./TopN.js";
import {characterClasses, propertyNames} from "./wikidataNames.js";

export type ImportWikidataOptions = {
    /** Wikidata JSON dump (latest-all.json[.gz|.bz2]): a JSON array, one entity per line */
    wikidata: string,
    /** Wikipedia dumps (XML or CirrusSearch) that fill summary and article by sitelink title */
    wikipedia?: readonly string[],
    languages: readonly string[],
    /** characters per language, most sitelinks first */
    count: number,
    /** called now and then with the number of entities read */
    onProgress?: (entities: number) => void
};

type Value = {kind: "entity", id: string} | {kind: "text", text: string};
type Candidate = {qid: string, lang: string, label: string, description?: string, aliases: string[], category: Character["category"],
    popularity: number, claims: [string, Value[]][], sitelink?: string};

type Entity = {id?: string, type?: string, labels?: Record<string, {value: string}>, descriptions?: Record<string, {value: string}>,
    aliases?: Record<string, {value: string}[]>, claims?: Record<string, {mainsnak?: {datavalue?: {type: string, value: unknown}}}[]>,
    sitelinks?: Record<string, {title: string}>};

/** Wikidata language codes to try per wanted language (Chinese labels often sit under a script variant). */
const labelLanguages = (lang: string) => lang === "zh" ? ["zh", "zh-hans", "zh-cn", "zh-hant", "zh-tw"] : [lang];

function pick<T>(map: Record<string, T> | undefined, lang: string): T | undefined {
    for (const l of labelLanguages(lang)) if (map?.[l] !== undefined) return map[l];
    return undefined;
}

/** A claim's value as text, or the entity id to resolve in the second pass. */
function valueOf(dv: {type: string, value: unknown} | undefined): Value | undefined {
    if (!dv) return undefined;
    const v = dv.value as Record<string, unknown>;
    switch (dv.type) {
        case "wikibase-entityid": return typeof v.id === "string" ? {kind: "entity", id: v.id} : undefined;
        case "string": return {kind: "text", text: String(dv.value)};
        case "monolingualtext": return {kind: "text", text: String(v.text)};
        case "quantity": return {kind: "text", text: String(v.amount).replace(/^\+/, "") + (typeof v.unit === "string" && v.unit !== "1" ? "" : "")};
        case "time": {
            // "+1879-03-14T00:00:00Z", precision 9 = year, 10 = month, 11 = day
            const m = /^([+-])0*(\d+)-(\d\d)-(\d\d)/.exec(String(v.time));
            if (!m) return undefined;
            const year = (m[1] === "-" ? "-" : "") + m[2];
            const precision = Number(v.precision);
            return {kind: "text", text: precision >= 11 ? `${year}-${m[3]}-${m[4]}` : precision === 10 ? `${year}-${m[3]}` : year};
        }
        default: return undefined;
    }
}

function parseEntityLine(line: string, path: string, lineNo: number, first: boolean): Entity | undefined {
    let t = line.trim();
    if (t === "[" || t === "]" || t === "") return undefined;
    if (t.endsWith(",")) t = t.slice(0, -1);
    const notADump = () => new DittoError(`${path}:${lineNo}: not a Wikidata JSON dump (expected "[" and then one entity object per line)`,
        {hint: "pass latest-all.json.bz2 / .gz (or a plain JSON dump) from dumps.wikimedia.org/wikidatawiki/entities", code: "DUMP_NOT_WHAT_IT_CLAIMS"});
    if (!t.startsWith("{")) throw notADump();
    try {
        const e = JSON.parse(t) as Entity;
        if (first && (typeof e.id !== "string" || typeof e.type !== "string")) throw notADump();
        return e;
    } catch (err) {
        if (err instanceof DittoError) throw err;
        if (first) throw notADump();
        throw new DittoError(`${path}:${lineNo}: entity line is not valid JSON`, {hint: "the dump is damaged or incomplete: download it again", code: "DUMP_CORRUPT", cause: err});
    }
}

/**
 * Characters from a Wikidata JSON dump, as the paper picked them: instances of human, fictional
 * human and similar classes, with a label in a wanted language, the `count` with the most sitelinks
 * per language (a popularity proxy). Pass 1 keeps only a bounded heap; pass 2 (only when needed)
 * finds labels of the entities their claims point to; the Wikipedia dumps then fill summary and
 * article by sitelink title. Memory stays flat in the dump's size.
 */
export async function importWikidata(o: ImportWikidataOptions): Promise<Character[]> {
    const heaps = new Map(o.languages.map((l) => [l, new TopN<Candidate>(o.count)] as const));
    let n = 0, lineNo = 0, first = true;
    for await (const line of openDump(o.wikidata)) {
        lineNo++;
        const e = parseEntityLine(line, o.wikidata, lineNo, first);
        if (!e) continue;
        first = false;
        if (++n % 10000 === 0) o.onProgress?.(n);
        if (e.type !== "item" || !e.id) continue;
        const classes = (e.claims?.P31 ?? []).map((c) => (c.mainsnak?.datavalue?.value as {id?: string} | undefined)?.id).filter((x): x is string => !!x);
        const cls = classes.map((c) => characterClasses[c]).find((x) => x !== undefined);
        if (!cls) continue;
        const popularity = Object.keys(e.sitelinks ?? {}).length;
        for (const lang of o.languages) {
            const label = pick(e.labels, lang)?.value;
            const heap = heaps.get(lang)!;
            if (!label || !heap.accepts(popularity, e.id)) continue;
            const claims: [string, Value[]][] = [];
            for (const pid of Object.keys(propertyNames)) {
                const values = (e.claims?.[pid] ?? []).map((c) => valueOf(c.mainsnak?.datavalue)).filter((v): v is Value => v !== undefined).slice(0, 8);
                if (values.length) claims.push([pid, values]);
            }
            heap.push(popularity, e.id, {
                qid: e.id, lang, label, description: pick(e.descriptions, lang)?.value, aliases: (pick(e.aliases, lang) ?? []).map((a) => a.value).slice(0, 10),
                category: cls, popularity, claims, sitelink: pick(e.sitelinks, `${lang}wiki`)?.title ?? e.sitelinks?.[`${lang === "zh" ? "zh" : lang}wiki`]?.title
            });
        }
    }
    if (first) throw new DittoError(`${o.wikidata}: no entities in the dump`, {hint: "the dump is empty or not a Wikidata JSON dump", code: "DUMP_NOT_WHAT_IT_CLAIMS"});
    const candidates = [...heaps.values()].flatMap((h) => h.items());

    // pass 2: labels of the entities the kept claims point to
    const needed = new Set(candidates.flatMap((c) => c.claims.flatMap(([, vs]) => vs.filter((v) => v.kind === "entity").map((v) => (v as {id: string}).id))));
    const labels = new Map<string, Record<string, {value: string}>>();
    if (needed.size > 0) {
        lineNo = 0;
        for await (const line of openDump(o.wikidata)) {
            lineNo++;
            if (!line.includes("\"id\"")) continue;
            // cheap pre-check on the id before parsing the whole entity
            const id = /"id":"(Q\d+)"/.exec(line.slice(0, 400))?.[1] ?? /"id"\s*:\s*"(Q\d+)"/.exec(line)?.[1];
            if (!id || !needed.has(id)) continue;
            const e = parseEntityLine(line, o.wikidata, lineNo, false);
            if (e?.id && e.labels) labels.set(e.id, e.labels);
            if (labels.size === needed.size) break;
        }
    }

    const articles = new Map<string, {title: string, summary: string, content: string}>();
    if (o.wikipedia?.length) {
        const titles = new Set(candidates.map((c) => c.sitelink).filter((t): t is string => !!t));
        for (const dump of o.wikipedia) for (const [t, a] of await readWikipediaDump(dump, titles)) if (!articles.has(t)) articles.set(t, a);
    }
    return candidates.map((c): Character => {
        const claims = c.claims.map(([pid, values]) => {
            const texts = values.map((v) => v.kind === "text" ? v.text : (pick(labels.get(v.id), c.lang) ?? labels.get(v.id)?.en)?.value).filter((t): t is string => !!t);
            return texts.length ? `${propertyNames[pid]}: ${[...new Set(texts)].join(", ")}` : undefined;
        }).filter((x): x is string => x !== undefined);
        const article = c.sitelink ? articles.get(c.sitelink) : undefined;
        return {
            id: `wd-${c.qid}-${c.lang}`, label: c.label, description: c.description?.trim() || c.category, aliases: c.aliases, claims,
            summary: article?.summary ?? "", wiki: article ? {title: article.title, content: article.content} : undefined,
            lang: c.lang, category: c.category, source: "wikidata", popularity: c.popularity
        };
    });
}
