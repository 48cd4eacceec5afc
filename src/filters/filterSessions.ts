import type {Character} from "../characters/characterSchema.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import type {Turn} from "../responses/turnSchema.js";
import type {Session} from "../sessions/sessionSchema.js";
import {createFilters} from "./createFilters.js";
import type {Rejection} from "./rejectionSchema.js";
import {selfCheck, type SelfCheckOptions} from "./selfCheck.js";
import type {FilterInput} from "./TurnFilter.js";

export type FilterSessionsOptions = {
    sessions: readonly Session[],
    turns: ReadonlyMap<string, Turn>,
    characters: ReadonlyMap<string, Character>,
    filters: Recipe["filters"],
    /** needed when filters.enabled has self_check */
    selfCheck?: SelfCheckOptions,
    onProgress?: (done: number, total: number) => void
};

/**
 * Stage 3's filters: every turn of every session, sessions in id order, through the enabled rules;
 * the first rule that objects drops the turn with its reason. Then the optional model self-check on
 * what is left. Returns the sessions without their dropped turns (sessions left empty are gone) and
 * the rejections, in a deterministic order.
 */
export async function filterSessions(o: FilterSessionsOptions): Promise<{kept: Session[], rejected: Rejection[]}> {
    const rules = createFilters(o.filters);
    const rejected: Rejection[] = [];
    const dropped = new Set<string>();
    const survivors: FilterInput[] = [];
    const sessions = [...o.sessions].sort((a, b) => a.id < b.id ? -1 : 1);
    for (const s of sessions) {
        for (const st of s.turns) {
            const turn = o.turns.get(st.turn ?? "");
            if (!turn) continue;
            const input = {turn, character: o.characters.get(s.character)!, lang: s.lang};
            let reason: string | undefined;
            for (const f of rules) {
                const detail = f.check(input);
                if (detail !== undefined) { rejected.push({id: turn.id, stage: "filter", reason: f.name, detail, record: turn}); reason = f.name; break; }
            }
            if (reason) dropped.add(turn.id);
            else survivors.push(input);
        }
    }
    if (o.filters.enabled.includes("self_check")) {
        if (!o.selfCheck) throw new Error("filters.enabled has self_check but no model was given for it");
        const verdicts = await selfCheck(survivors, o.selfCheck, o.onProgress);
        for (const {turn} of survivors) {
            const detail = verdicts.get(turn.id);
            if (detail) { rejected.push({id: turn.id, stage: "filter", reason: "self_check", detail, record: turn}); dropped.add(turn.id); }
        }
    }
    const kept = sessions
        .map((s) => ({...s, turns: s.turns.filter((t) => t.turn !== undefined && o.turns.has(t.turn) && !dropped.has(t.turn))}))
        .filter((s) => s.turns.length > 0);
    return {kept, rejected};
}
