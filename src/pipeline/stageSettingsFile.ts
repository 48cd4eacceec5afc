import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {writeTextAtomic} from "../runs/writeJsonlAtomic.js";
import {settingsDiff} from "../runs/settingsDiff.js";

/**
 * `settings.json` in a stage's output folder (train/, eval/): the recipe settings the output was
 * made with, written before the stage starts, so a rerun with other settings (a finished or a
 * half-done stage alike) is noticed and the differing keys can be named.
 */
export const stageSettingsFile = {
    /** the differing keys as `key: old -> new`; empty when they match or nothing was recorded */
    diff(dir: string, settings: Record<string, unknown>): string[] {
        const path = join(dir, "settings.json");
        if (!existsSync(path)) return [];
        let before: Record<string, unknown>;
        try { before = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>; } catch { return ["settings.json: unreadable"]; }
        return settingsDiff(before, settings);
    },
    write(dir: string, settings: Record<string, unknown>): void {
        writeTextAtomic(join(dir, "settings.json"), JSON.stringify(settings, null, 2) + "\n");
    }
};
