import type {DeviceInfo} from "./TrainEngine.js";

/** One line naming where training runs, and with device auto on the CPU, why not on a GPU. */
export function describeDevice(d: DeviceInfo): string {
    if (d.kind === "cpu") return `engine: cpu (${d.gemm} kernel)${d.note ? `; CUDA not used: ${d.note}` : ""}`;
    const gb = (d.memoryBytes / 1e9).toFixed(0);
    return `engine: ${d.kind} on ${d.name} (compute ${d.computeCapability ?? "?"}, ${gb} GB, products: ${d.gemm})`;
}
