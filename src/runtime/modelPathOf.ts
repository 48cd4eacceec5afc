import type {LlamaModel} from "node-llama-cpp";

const paths = new WeakMap<LlamaModel, string>();

/** The file a model was loaded from by loadModel (node-llama-cpp keeps only the base name). */
export function modelPathOf(model: LlamaModel): string | undefined {
    return paths.get(model);
}

export function rememberModelPath(model: LlamaModel, path: string): void {
    paths.set(model, path);
}
