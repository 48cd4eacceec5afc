/** Case, width and whitespace folded, so trivially different copies compare equal. */
export function normalizeText(text: string): string {
    return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}
