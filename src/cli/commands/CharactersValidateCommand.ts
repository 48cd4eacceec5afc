import type {Command} from "commander";
import {formatCharacterProblem} from "../../characters/CharacterProblem.js";
import {readCharacterFile} from "../../characters/readCharacterFile.js";

export function registerCharactersValidateCommand(characters: Command): void {
    characters.command("validate")
        .description("check profile files (JSONL, JSON, YAML): each bad record as file:line: field: problem")
        .argument("<files...>", "profile files")
        .addHelpText("after", "\nExample:\n  ditto characters validate characters.yaml")
        .action((files: string[]) => {
            let bad = 0, good = 0;
            for (const f of files) {
                const {characters: ok, problems} = readCharacterFile(f);
                for (const p of problems) console.error(formatCharacterProblem(p));
                bad += problems.length; good += ok.length;
            }
            console.log(`${good} valid character${good === 1 ? "" : "s"}, ${bad} problem${bad === 1 ? "" : "s"}`);
            if (bad > 0) process.exitCode = 1;
        });
}
