/** One bad record in a profile file: where it is and what is wrong, printed as `file:line: field: problem`. */
export type CharacterProblem = {file: string, line: number, field: string, problem: string};

export function formatCharacterProblem(p: CharacterProblem): string {
    return `${p.file}:${p.line}: ${p.field}: ${p.problem}`;
}
