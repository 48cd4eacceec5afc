/** A name made safe for a file or an Ollama model name: lower-case letters, digits, '.', '_' and '-'. */
export function fileSlug(name: string): string {
    const slug = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "");
    return slug || "character";
}
