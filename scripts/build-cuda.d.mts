// Types of scripts/build-cuda.mjs for the TypeScript tests.
export interface BuildCudaOptions {
    emu?: boolean;
    cuda?: boolean;
    jobs?: number;
    archs?: string;
    cxx?: string;
    sanitize?: string;
    log?: (line: string) => void;
}
export const buildCudaDefaults: Required<BuildCudaOptions>;
export class BuildError extends Error {}
export function buildCuda(options?: BuildCudaOptions): Promise<void>;
export function findNvcc(): string | null;
export function ptxasProblems(output: string): string[];
