import {DittoError} from "../errors/DittoError.js";
import {loadCatalogue, modelsDir} from "./catalogue.js";

/** Where a model comes from and what is known about it before the download starts. */
export type PullSource = {
    url: string,
    /** file name in the models folder */
    fileName: string,
    /** sha256 to verify against, when the catalogue or the user gives one */
    sha256: string | null,
    /** expected size, when the catalogue gives one */
    sizeBytes: number | null,
    /** catalogue name, when pulled by name */
    name: string | null
};

/** Hugging Face, or a mirror of it (HF_ENDPOINT, also how the tests point pulls at a loopback server). */
export function huggingFaceEndpoint(): string {
    return (process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
}

function huggingFaceUrl(repo: string, file: string, revision = "main"): string {
    const path = file.split("/").map(encodeURIComponent).join("/");
    return `${huggingFaceEndpoint()}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/**
 * Turns what the user typed into a URL: a catalogue name, `hf:owner/repo/path/to/file.gguf`
 * (optionally `hf:owner/repo@revision/file.gguf`), or an http(s) URL.
 */
export function resolvePullSource(ref: string, options: {sha256?: string, modelsDir?: string} = {}): PullSource {
    const sha256 = options.sha256?.trim().toLowerCase() ?? null;
    if (sha256 !== null && !/^[0-9a-f]{64}$/.test(sha256))
        throw new DittoError(`--sha256 ${options.sha256} is not a sha256 (64 hex digits)`, {
            hint: "copy the checksum from the model page (Files, the file's details), or leave --sha256 out", code: "PULL_SHA256"});

    if (ref.startsWith("hf:")) {
        const m = /^hf:([^/\s]+)\/([^/\s@]+)(?:@([^/\s]+))?\/(\S+)$/.exec(ref);
        if (!m)
            throw new DittoError(`"${ref}" is not a Hugging Face file reference`, {
                hint: "use hf:OWNER/REPO/FILE.gguf, e.g. hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q8_0.gguf", code: "PULL_REF"});
        const file = m[4]!;
        return {url: huggingFaceUrl(`${m[1]}/${m[2]}`, file, m[3]), fileName: baseName(file), sha256, sizeBytes: null, name: null};
    }

    if (/^https?:\/\//i.test(ref)) {
        let url: URL;
        try {
            url = new URL(ref);
        } catch {
            throw new DittoError(`"${ref}" is not a valid URL`, {hint: "quote the URL in the shell, or use hf:OWNER/REPO/FILE", code: "PULL_REF"});
        }
        // a model page link (.../blob/main/x.gguf) serves HTML; the file itself is under /resolve/
        url.pathname = url.pathname.replace(/^(\/[^/]+\/[^/]+)\/blob\//, "$1/resolve/");
        const fileName = baseName(decodeURIComponent(url.pathname));
        if (!fileName)
            throw new DittoError(`URL ${ref} does not end in a file name`, {hint: "give the URL of the .gguf file itself", code: "PULL_REF"});
        return {url: url.toString(), fileName, sha256, sizeBytes: null, name: null};
    }

    const catalogue = loadCatalogue(modelsDir(options.modelsDir));
    const entry = catalogue.find((e) => e.name === ref);
    if (!entry)
        throw new DittoError(`"${ref}" is not in the model catalogue, and is not a URL or hf: reference`, {
            hint: `use one of: ${catalogue.map((e) => e.name).join(", ")} (see \`ditto models list\`), a URL, or hf:OWNER/REPO/FILE`,
            code: "PULL_REF"});
    return {url: huggingFaceUrl(entry.repo, entry.file), fileName: baseName(entry.file), sha256: sha256 ?? entry.sha256,
        sizeBytes: entry.size_bytes ?? null, name: entry.name};
}

function baseName(path: string): string {
    return path.split("/").filter((p) => p.length > 0).pop() ?? "";
}
