import {existsSync, readFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {parse} from "yaml";
import {z} from "zod";
import {DittoError} from "../errors/DittoError.js";

export const catalogueEntrySchema = z.strictObject({
    repo: z.string(),
    file: z.string(),
    arch: z.string(),
    /** the Hugging Face model the GGUF was converted from (for exports to TRL, axolotl, LLaMA-Factory) */
    hf_model: z.string().optional(),
    size_bytes: z.number().int().optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable().default(null)
});
export type CatalogueEntry = z.output<typeof catalogueEntrySchema> & {name: string};

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", ...(import.meta.url.includes("/dist/") ? [".."] : []));

/** Where models live: --models-dir, else DITTO_MODELS, else ./models. */
export function modelsDir(explicit?: string): string {
    return resolve(explicit ?? process.env.DITTO_MODELS ?? "models");
}

/** The catalogue: ./models/catalogue.yaml if present, else the one shipped with ditto. */
export function loadCatalogue(dir = modelsDir()): CatalogueEntry[] {
    const file = [join(dir, "catalogue.yaml"), join(packageRoot, "models", "catalogue.yaml")].find((f) => existsSync(f));
    if (!file) return [];
    const data = parse(readFileSync(file, "utf8")) as {models?: Record<string, unknown>};
    return Object.entries(data?.models ?? {}).map(([name, value]) => {
        const res = catalogueEntrySchema.safeParse(value);
        if (!res.success)
            throw new DittoError(`${file}: models.${name}: ${res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
                {hint: "fix the catalogue entry (repo, file, arch, size_bytes, sha256)"});
        return {name, ...res.data};
    });
}
