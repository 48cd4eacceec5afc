import {DittoError} from "../errors/DittoError.js";
import {stageNames, type StageName} from "../runs/stageNames.js";

function check(name: string, flag: string): StageName {
    if (!(stageNames as readonly string[]).includes(name))
        throw new DittoError(`${flag} ${name}: no such stage`, {hint: `stages are ${stageNames.join(", ")}`, code: "STAGE_UNKNOWN"});
    return name as StageName;
}

/** The stages between `from` and `until` (inclusive), or the listed ones; all by default. */
export function selectStages(o: {from?: string, until?: string, only?: string[]}): StageName[] {
    if (o.only?.length) return o.only.map((s) => check(s, "--stages"));
    const a = o.from ? stageNames.indexOf(check(o.from, "--from")) : 0;
    const b = o.until ? stageNames.indexOf(check(o.until, "--until")) : stageNames.length - 1;
    if (a > b) throw new DittoError(`--from ${o.from} comes after --until ${o.until}`, {hint: `the order is ${stageNames.join(", ")}`, code: "STAGE_UNKNOWN"});
    return stageNames.slice(a, b + 1);
}
