import {mkdirSync, renameSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import type {EngineState} from "../engine/TrainEngine.js";
import type {TrainCheckpoint} from "./TrainCheckpoint.js";
import {listCheckpointSteps} from "./listCheckpointSteps.js";

const floatFiles = ["weights", "m", "v"] as const;

/**
 * Writes DIR/checkpoints/step-N/ (state.json, weights.f32, m.f32, v.f32) into a hidden temp folder
 * and renames it into place, so a crash mid-write never leaves a checkpoint that looks complete.
 * Keeps the newest `keep` checkpoints.
 */
export function writeCheckpoint(outDir: string, checkpoint: Omit<TrainCheckpoint, "engine">, state: EngineState, keep: number): string {
    const root = join(outDir, "checkpoints");
    mkdirSync(root, {recursive: true});
    const name = `step-${checkpoint.step}`;
    const temp = join(root, `.${name}.partial`);
    rmSync(temp, {recursive: true, force: true});
    mkdirSync(temp);
    for (const f of floatFiles) {
        const buf = state[f];
        writeFileSync(join(temp, `${f}.f32`), new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    }
    const full: TrainCheckpoint = {...checkpoint, engine: {step: state.step, rng: state.rng.toString()}};
    writeFileSync(join(temp, "state.json"), JSON.stringify(full, null, 2) + "\n");
    const final = join(root, name);
    rmSync(final, {recursive: true, force: true});
    renameSync(temp, final);
    const steps = listCheckpointSteps(root);
    for (const old of steps.slice(0, Math.max(0, steps.length - keep))) rmSync(join(root, `step-${old}`), {recursive: true, force: true});
    return final;
}
