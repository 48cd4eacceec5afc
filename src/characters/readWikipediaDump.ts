import {DittoError} from "../errors/DittoError.js";
import {cleanWikitext, decodeXmlEntities} from "./cleanWikitext.js";
import {openDump} from "./openDump.js";

export type WikipediaArticle = {title: string, summary: string, content: string};

/** Longest article text kept per character: profiles are cut to max_profile_chars later anyway. */
const maxContent = 30000;

/**
 * The articles with the wanted titles from a Wikipedia dump, streamed: the MediaWiki XML export
 * (`<page><title>..</title>..<text>..</text></page>`) or a CirrusSearch JSON dump (bulk lines:
 * `{"index": ..}` then `{"title": .., "text": .., "opening_text": ..}`), told apart by the first
 * character. Only wanted pages are kept, so memory follows the character count, not the dump.
 */
export async function readWikipediaDump(path: string, wanted: ReadonlySet<string>): Promise<Map<string, WikipediaArticle>> {
    const found = new Map<string, WikipediaArticle>();
    let format: "xml" | "cirrus" | undefined;
    let page: string[] | undefined;
    let lineNo = 0;
    for await (const line of openDump(path)) {
        lineNo++;
        if (!format) {
            const t = line.trimStart();
            if (t === "") continue;
            if (t.startsWith("<")) format = "xml";
            else if (t.startsWith("{")) format = "cirrus";
            else throw new DittoError(`${path}:${lineNo}: not a Wikipedia dump (neither MediaWiki XML nor CirrusSearch JSON lines)`,
                {hint: "pass a pages-articles XML dump or a cirrussearch-content JSON dump (.bz2, .gz or plain)", code: "DUMP_NOT_WHAT_IT_CLAIMS"});
        }
        if (format === "cirrus") {
            if (line.trim() === "" || line.startsWith("{\"index\"")) continue;
            let doc: {title?: string, text?: string, opening_text?: string | null};
            try { doc = JSON.parse(line) as typeof doc; } catch (err) {
                throw new DittoError(`${path}:${lineNo}: not valid JSON in a CirrusSearch dump`, {hint: "the dump is damaged or incomplete: download it again", code: "DUMP_CORRUPT", cause: err});
            }
            if (typeof doc.title === "string" && wanted.has(doc.title) && typeof doc.text === "string")
                found.set(doc.title, {title: doc.title, summary: (doc.opening_text ?? doc.text.slice(0, 1200)).trim(), content: doc.text.slice(0, maxContent)});
            continue;
        }
        if (line.includes("<page>")) page = [];
        if (page) {
            page.push(line);
            if (line.includes("</page>")) {
                const xml = page.join("\n");
                page = undefined;
                const title = /<title>([\s\S]*?)<\/title>/.exec(xml)?.[1];
                const decodedTitle = title === undefined ? undefined : decodeXmlEntities(title);
                if (decodedTitle === undefined || !wanted.has(decodedTitle) || /<redirect\b/.test(xml)) continue;
                const raw = decodeXmlEntities(/<text\b[^>]*>([\s\S]*?)<\/text>/.exec(xml)?.[1] ?? "");
                const content = cleanWikitext(raw).slice(0, maxContent);
                const summary = content.split(/\n\s*\n/).find((p) => p.trim().length > 0)?.trim() ?? "";
                found.set(decodedTitle, {title: decodedTitle, summary, content});
            } else if (page.length > 200000) {
                throw new DittoError(`${path}:${lineNo}: a <page> runs on for 200000 lines without </page>`, {hint: "the XML dump is damaged: download it again", code: "DUMP_CORRUPT"});
            }
        }
    }
    if (!format) throw new DittoError(`${path}: the dump is empty`, {hint: "download it again", code: "DUMP_CORRUPT"});
    return found;
}
