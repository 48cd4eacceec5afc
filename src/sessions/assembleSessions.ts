import type {Character} from "../characters/characterSchema.js";
import {renderProfile} from "../characters/renderProfile.js";
import {Rng} from "../random/Rng.js";
import type {PromptTemplates} from "../generate/PromptTemplates.js";
import type {Turn} from "../responses/turnSchema.js";
import {stableId} from "../runs/stableId.js";
import type {Session} from "./sessionSchema.js";

export type AssembleSessionsOptions = {
    turns: readonly Turn[],
    characters: ReadonlyMap<string, Character>,
    prompts: PromptTemplates,
    turnsPerSession: number,
    /** keep the profile in the system prompt (off by default: the model should recall it) */
    profileInSystem: boolean,
    maxProfileChars: number,
    seed: number
};

/**
 * Stage 3: each character's turns (own and partner questions) shuffled by a seed of its own and cut
 * into sessions of `turnsPerSession` turns behind the one-line system prompt. Pure: the same turns
 * give the same sessions, whatever order they were generated in.
 */
export function assembleSessions(o: AssembleSessionsOptions): Session[] {
    const byCharacter = new Map<string, Turn[]>();
    for (const t of [...o.turns].sort((a, b) => a.id < b.id ? -1 : 1)) {
        const list = byCharacter.get(t.character) ?? [];
        list.push(t);
        byCharacter.set(t.character, list);
    }
    const sessions: Session[] = [];
    for (const [characterId, turns] of [...byCharacter].sort((a, b) => a[0] < b[0] ? -1 : 1)) {
        const c = o.characters.get(characterId)!;
        new Rng(`${o.seed}:session:${characterId}`).shuffle(turns);
        // the template ends the line itself: "You are X, a physicist." not "... physicist.."
        const description = c.description.trim().replace(/[.。]+$/, "");
        const system = o.profileInSystem
            ? o.prompts.render("session_system_profile", c.lang, {label: c.label, description, profile: renderProfile(c, o.maxProfileChars)})
            : o.prompts.render("session_system", c.lang, {label: c.label, description});
        for (let i = 0; i * o.turnsPerSession < turns.length; i++) {
            const chunk = turns.slice(i * o.turnsPerSession, (i + 1) * o.turnsPerSession);
            sessions.push({id: stableId("s", characterId, i), character: characterId, lang: c.lang, system,
                turns: chunk.map((t) => ({question: t.question, answer: t.answer, provenance: t.provenance, turn: t.id}))});
        }
    }
    return sessions;
}
