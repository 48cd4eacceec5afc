import {existsSync} from "node:fs";
import {join} from "node:path";
import {parse as parseYaml} from "yaml";
import {DittoError} from "../errors/DittoError.js";
import type {ChatCharacter} from "./ChatCharacter.js";
import {readTextFile} from "../runs/readTextFile.js";

type Profile = {id?: unknown, label?: unknown, name?: unknown, description?: unknown, aliases?: unknown, lang?: unknown};

function toCharacter(p: Profile, where: string): ChatCharacter {
    const label = typeof p.label === "string" ? p.label : typeof p.name === "string" ? p.name : undefined;
    if (!label?.trim()) throw new DittoError(`${where}: label: expected the character's name`, {hint: "a profile needs at least label (and ideally description)", code: "CHAT_PROFILE"});
    return {label: label.trim(), description: typeof p.description === "string" ? p.description.trim() : "", ...(typeof p.lang === "string" ? {lang: p.lang} : {})};
}

/** The first record of a profile file: JSON, JSONL (first line) or YAML, as `ditto characters` reads them. */
export function readProfileFile(path: string): ChatCharacter {
    if (!existsSync(path)) throw new DittoError(`profile ${path} not found`, {hint: "give a JSON, JSONL or YAML file with label and description", code: "CHAT_PROFILE"});
    const text = readTextFile(path);
    if (text.trim() === "") throw new DittoError(`${path}: the profile file is empty`, {hint: "give a JSON, JSONL or YAML file with label and description", code: "CHAT_PROFILE"});
    let data: unknown;
    try {
        if (/\.jsonl$/i.test(path)) data = JSON.parse(text.split("\n").find((l) => l.trim()) ?? "{}");
        else if (/\.json$/i.test(path)) data = JSON.parse(text);
        else data = parseYaml(text);
    } catch (err) {
        throw new DittoError(`${path}: cannot parse: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`, {hint: "check the file's syntax", code: "CHAT_PROFILE", cause: err});
    }
    const first = Array.isArray(data) ? data[0] : data;
    if (!first || typeof first !== "object") throw new DittoError(`${path}: expected a profile object`, {hint: "a profile needs at least label and description", code: "CHAT_PROFILE"});
    return toCharacter(first as Profile, path);
}

/**
 * A character by name: looked up (label, alias or id, any case) in the run's characters.jsonl when
 * a run is given, so the system line carries its description; else the bare name.
 */
export function findChatCharacter(name: string, runDir?: string): ChatCharacter {
    const wanted = name.trim().toLowerCase();
    if (runDir) {
        const path = join(runDir, "characters.jsonl");
        if (!existsSync(path)) throw new DittoError(`${path} not found`, {hint: "give a run folder with characters.jsonl, or leave out --run", code: "CHAT_PROFILE"});
        for (const line of readTextFile(path).split("\n")) {
            if (!line.trim()) continue;
            let p: Profile;
            try { p = JSON.parse(line) as Profile; } catch { continue; }
            const names = [p.label, p.id, ...(Array.isArray(p.aliases) ? p.aliases : [])].filter((x): x is string => typeof x === "string");
            if (names.some((n) => n.toLowerCase() === wanted)) return toCharacter(p, path);
        }
        throw new DittoError(`no character "${name}" in ${path}`, {hint: "use a label, alias or id from that file, or leave out --run to play any name", code: "CHAT_PROFILE"});
    }
    if (!wanted) throw new DittoError("the character name is empty", {hint: "e.g. --character \"Ada Lovelace\"", code: "CHAT_PROFILE"});
    return {label: name.trim(), description: ""};
}
