import {existsSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import type {EngineState} from "../engine/TrainEngine.js";
import type {TrainCheckpoint} from "./TrainCheckpoint.js";
import {listCheckpointSteps} from "./listCheckpointSteps.js";

/** The newest complete checkpoint in DIR/checkpoints with its engine state, or undefined when there is none. */
export function readLastCheckpoint(outDir: string): {checkpoint: TrainCheckpoint, state: EngineState, path: string} | undefined {
    const root = join(outDir, "checkpoints");
    const steps = listCheckpointSteps(root);
    if (steps.length === 0) return undefined;
    const path = join(root, `step-${steps[steps.length - 1]}`);
    const bad = (detail: string) => new DittoError(`${path}: checkpoint is damaged (${detail})`,
        {hint: `delete ${path} to resume from the one before it`, code: "TRAIN_CHECKPOINT"});
    if (!existsSync(join(path, "state.json"))) throw bad("state.json is missing");
    let checkpoint: TrainCheckpoint;
    try { checkpoint = JSON.parse(readFileSync(join(path, "state.json"), "utf8")) as TrainCheckpoint; } catch { throw bad("state.json is not JSON"); }
    if (checkpoint.version !== 1) throw bad(`version ${String(checkpoint.version)}, expected 1`);
    const floats = (name: string) => {
        const file = join(path, `${name}.f32`);
        if (!existsSync(file)) throw bad(`${name}.f32 is missing`);
        const bytes = readFileSync(file);
        if (bytes.length % 4) throw bad(`${name}.f32 is not whole float32 values`);
        return new Float32Array(new Uint8Array(bytes).buffer);
    };
    const state: EngineState = {step: checkpoint.engine.step, weights: floats("weights"), m: floats("m"), v: floats("v"), rng: BigInt(checkpoint.engine.rng)};
    if (state.m.length !== state.weights.length || state.v.length !== state.weights.length) throw bad("weights, m and v differ in length");
    return {checkpoint, state, path};
}
