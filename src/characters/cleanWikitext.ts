/** XML character entities as they appear in MediaWiki XML dumps. */
export function decodeXmlEntities(s: string): string {
    return s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);/gi, (m, e: string) => {
        switch (e.toLowerCase()) {
            case "lt": return "<";
            case "gt": return ">";
            case "quot": return "\"";
            case "apos": return "'";
            case "amp": return "&";
            default: return e[1] === "x" || e[1] === "X" ? String.fromCodePoint(parseInt(e.slice(2), 16)) : String.fromCodePoint(parseInt(e.slice(1), 10));
        }
    });
}

/**
 * Wiki markup to plain prose, roughly: templates, tables, references, files and HTML gone, links
 * reduced to their text, headings to plain lines. Good enough for a model to read as a profile.
 */
export function cleanWikitext(text: string): string {
    let t = text.replace(/<!--[\s\S]*?-->/g, "").replace(/<ref[^>]*\/>/gi, "").replace(/<ref[\s\S]*?<\/ref>/gi, "");
    // nested templates and tables: remove innermost first until none is left
    for (let prev = ""; prev !== t;) { prev = t; t = t.replace(/\{\{[^{}]*\}\}/g, "").replace(/\{\|[^{}]*?\|\}/g, ""); }
    t = t.replace(/\[\[(?:File|Image|Category|文件|图像|分类|Datei|Fichier):[^\[\]]*(?:\[\[[^\]]*\]\][^\[\]]*)*\]\]/gi, "")
        .replace(/\[\[([^|\]]*)\|([^\]]*)\]\]/g, "$2").replace(/\[\[([^\]]*)\]\]/g, "$1")
        .replace(/\[https?:\/\/\S+ ([^\]]*)\]/g, "$1").replace(/\[https?:\/\/\S+\]/g, "")
        .replace(/'{2,}/g, "").replace(/^=+\s*(.*?)\s*=+\s*$/gm, "$1").replace(/<[^>]+>/g, "")
        .replace(/^[*#:;]+\s*/gm, "").replace(/[ \t]+/g, " ").replace(/\n{3,}/g, "\n\n");
    return t.trim();
}
