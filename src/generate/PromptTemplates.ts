import {existsSync, readFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {DittoError} from "../errors/DittoError.js";
import {languageName} from "./languageName.js";
import type {PromptName} from "./promptNames.js";

/** The prompts shipped with ditto (the package's prompts/ folder). */
export const builtinPromptsDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", ...(import.meta.url.includes("/dist/") ? [".."] : []), "prompts");

/**
 * Prompt templates: `prompts/<lang>/<name>.txt` with `{{placeholders}}`. A recipe's `generate.prompts`
 * folder is searched first (as `<lang>/<name>.txt` or `<name>.txt`), so prompts change without code;
 * a language without its own templates uses the English ones and is named in them ({{language}}).
 */
export class PromptTemplates {
    private readonly cache = new Map<string, {file: string, text: string}>();

    public constructor(private readonly overrideDir?: string) {
        if (overrideDir && !existsSync(overrideDir))
            throw new DittoError(`prompt folder ${overrideDir} not found`, {hint: "check generate.prompts in the recipe (relative to the recipe file)", code: "PROMPTS_MISSING"});
    }

    public file(name: PromptName, lang: string): string {
        return this.load(name, lang).file;
    }

    public render(name: PromptName, lang: string, vars: Record<string, string | number>): string {
        const {file, text} = this.load(name, lang);
        const all: Record<string, string | number> = {language: languageName(lang), ...vars};
        return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
            if (!(key in all))
                throw new DittoError(`${file}: unknown placeholder {{${key}}}`, {hint: `known here: ${Object.keys(all).map((k) => `{{${k}}}`).join(", ")}`, code: "PROMPT_PLACEHOLDER"});
            return String(all[key]);
        }).trim();
    }

    private load(name: PromptName, lang: string): {file: string, text: string} {
        const key = `${lang}/${name}`;
        let hit = this.cache.get(key);
        if (!hit) {
            const base = lang.toLowerCase().split("-")[0]!;
            const candidates = [
                ...(this.overrideDir ? [join(this.overrideDir, base, `${name}.txt`), join(this.overrideDir, `${name}.txt`)] : []),
                join(builtinPromptsDir, base, `${name}.txt`), join(builtinPromptsDir, "en", `${name}.txt`)
            ];
            const file = candidates.find((c) => existsSync(c));
            if (!file) throw new DittoError(`prompt template ${name}.txt not found (looked in ${candidates.join(", ")})`, {hint: "reinstall ditto or add the template to the recipe's prompts folder", code: "PROMPTS_MISSING"});
            hit = {file, text: readFileSync(file, "utf8")};
            this.cache.set(key, hit);
        }
        return hit;
    }
}
