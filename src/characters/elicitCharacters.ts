import {join} from "node:path";
import type {Generator} from "../generate/Generator.js";
import type {PromptTemplates} from "../generate/PromptTemplates.js";
import {JsonlStore} from "../runs/JsonlStore.js";
import {seedFor} from "../runs/seedFor.js";
import type {Sampling} from "../runtime/generationTypes.js";
import {characterId} from "./characterId.js";
import {characterSchema, type Character} from "./characterSchema.js";
import {characterListMaxTokens, characterListSchema, profileSchema} from "./elicitSchemas.js";
import {mergeCharacters} from "./mergeCharacters.js";

export type ElicitCharactersOptions = {
    generator: Generator,
    prompts: PromptTemplates,
    languages: readonly string[],
    /** characters wanted in all (split evenly over the languages) */
    count: number,
    /** names asked for per listing call */
    batch: number,
    /** listing calls per language at most */
    rounds: number,
    seed: number,
    /** sampling of the listing calls (some temperature, so rounds differ); max tokens follow from `batch` */
    sampling: Sampling,
    /** sampling of the profile calls */
    profileSampling: Sampling,
    /** where to keep finished calls (elicit-lists.jsonl, elicit-profiles.jsonl) so a restart resumes; default: kept in memory only */
    workDir?: string,
    onProgress?: (done: number, total: number) => void
};

type ListRecord = {id: string, lang: string, round: number, names: {name: string, category: string}[]};

/**
 * Self-elicitation (method.md stage 1, source 3): the model lists well-known characters, round by
 * round (each round told the names so far), then writes each one's profile, both under JSON
 * grammars. Same-name records are merged. The knowledge comes from the model alone.
 */
export async function elicitCharacters(o: ElicitCharactersOptions): Promise<Character[]> {
    const lists = o.workDir ? JsonlStore.open<ListRecord>(join(o.workDir, "elicit-lists.jsonl")) : undefined;
    const profiles = o.workDir ? JsonlStore.open<Character>(join(o.workDir, "elicit-profiles.jsonl"), {parse: (v) => characterSchema.parse(v)}) : undefined;
    const perLanguage = Math.ceil(o.count / o.languages.length);
    const named = await Promise.all(o.languages.map(async (lang) => {
        const names = new Map<string, {name: string, category: string}>();
        for (let round = 0; round < o.rounds && names.size < perLanguage; round++) {
            const id = `list-${lang}-${round}`;
            let rec = lists?.get(id);
            if (!rec) {
                const exclude = [...names.values()].map((n) => n.name).slice(-60).join(", ") || "(none yet)";
                const res = await o.generator.generate({
                    messages: [{role: "user", content: o.prompts.render("elicit_list", lang, {count: o.batch, exclude})}],
                    sampling: {...o.sampling, maxTokens: characterListMaxTokens(o.batch), seed: seedFor(o.seed, id)}, jsonSchema: characterListSchema(o.batch)
                });
                let listed: {name: string, category: string}[] = [];
                try { listed = (JSON.parse(res.text) as {characters: {name: string, category: string}[]}).characters; } catch { listed = []; }
                rec = {id, lang, round, names: listed.map((n) => ({name: String(n.name).trim(), category: String(n.category)})).filter((n) => n.name !== "")};
                lists?.append(rec);
            }
            for (const n of rec.names) if (names.size < perLanguage && !names.has(n.name.toLowerCase())) names.set(n.name.toLowerCase(), n);
        }
        return [...names.values()].map((n) => ({...n, lang}));
    }));
    const todo = named.flat();
    let done = 0;
    const made = await Promise.all(todo.map(async ({name, category, lang}) => {
        const id = characterId(name, lang);
        let c = profiles?.get(id);
        if (!c) {
            const res = await o.generator.generate({
                messages: [{role: "user", content: o.prompts.render("elicit_profile", lang, {name, category})}],
                sampling: {...o.profileSampling, seed: seedFor(o.seed, id)}, jsonSchema: profileSchema(o.profileSampling.maxTokens)
            });
            let p: {label?: string, description?: string, aliases?: string[], claims?: string[], summary?: string} = {};
            try { p = JSON.parse(res.text) as typeof p; } catch { p = {}; }
            // the listed name is the identity: the profile's own label may drift, it becomes an alias
            const aliases = [...new Set([p.label?.trim() ?? "", ...(p.aliases ?? []).map((a) => a.trim())])].filter((a) => a !== "" && a !== name);
            const parsed = characterSchema.safeParse({id, label: name, description: p.description?.trim() || category, aliases,
                claims: (p.claims ?? []).map((x) => x.trim()).filter((x) => x !== ""), summary: p.summary?.trim() ?? "", lang, category, source: "elicit"});
            if (!parsed.success) { o.onProgress?.(++done, todo.length); return undefined; }
            c = parsed.data;
            profiles?.append(c);
        }
        o.onProgress?.(++done, todo.length);
        return c;
    }));
    lists?.finalize((a, b) => a.id < b.id ? -1 : 1);
    profiles?.finalize((a, b) => a.id < b.id ? -1 : 1);
    return mergeCharacters(made.filter((c): c is Character => c !== undefined));
}
