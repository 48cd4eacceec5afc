import {existsSync, readFileSync, statSync, writeFileSync} from "node:fs";
import {basename} from "node:path";
import type {EvalVariant} from "./answerSchema.js";

/**
 * What the stored answers and judgements were made with: one fingerprint (name, size, modification
 * time: cheap, and a retrained adapter always differs) per model, and the variants evaluated.
 * Kept in eval/identity.json so a rerun with another adapter or judge redoes exactly what changed.
 */
export type EvalIdentity = {base: string, adapter?: string, judge: string, variants: EvalVariant[]};

export function fileFingerprint(path: string): string {
    const st = statSync(path);
    return `${basename(path)}:${st.size}:${Math.round(st.mtimeMs)}`;
}

export function readEvalIdentity(path: string): EvalIdentity | undefined {
    if (!existsSync(path)) return undefined;
    try { return JSON.parse(readFileSync(path, "utf8")) as EvalIdentity; } catch { return undefined; }
}

export function writeEvalIdentity(path: string, identity: EvalIdentity): void {
    writeFileSync(path, JSON.stringify(identity, null, 2) + "\n");
}
