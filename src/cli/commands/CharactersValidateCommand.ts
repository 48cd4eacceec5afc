import type {Command} from "commander";
import {formatCharacterProblem} from "../../characters/CharacterProblem.js";
import {readCharacterFile} from "../../characters/readCharacterFile.js";
import {renderProfile} from "../../characters/renderProfile.js";
import {DittoError} from "../../errors/DittoError.js";
import {recipeSchema} from "../../recipes/recipeSchema.js";

const recipeDefaults = recipeSchema.parse({name: "defaults", models: {generator: "x"}});

export function registerCharactersValidateCommand(characters: Command): void {
    characters.command("validate")
        .description("check profile files (JSONL, JSON, YAML): each bad record as file:line: field: problem")
        .argument("<files...>", "profile files")
        .option("--max-profile-chars <n>", "warn about profiles longer than this: the model sees only this much (characters.max_profile_chars)",
            String(recipeDefaults.characters.max_profile_chars))
        .addHelpText("after", "\nExample:\n  ditto characters validate recipes/characters/demo-en.jsonl")
        .action((files: string[], opts: {maxProfileChars: string}) => {
            const limit = Number(opts.maxProfileChars);
            if (!Number.isInteger(limit) || limit < 1)
                throw new DittoError(`--max-profile-chars ${opts.maxProfileChars} is not a positive whole number`, {hint: "e.g. --max-profile-chars 6000", code: "CLI_OPTION"});
            let bad = 0, good = 0;
            for (const f of files) {
                const {characters: ok, problems} = readCharacterFile(f);
                for (const p of problems) console.error(formatCharacterProblem(p));
                // a profile past the limit is cut where the model reads it: say so now, not in a degraded data set later
                for (const c of ok) {
                    const length = renderProfile(c, Number.MAX_SAFE_INTEGER).length;
                    if (length > limit) console.error(`warning: ${f}: ${c.label}: profile of ${length} characters; the model sees the first ${limit} (raise characters.max_profile_chars, or shorten it)`);
                }
                bad += problems.length; good += ok.length;
            }
            console.log(`${good} valid character${good === 1 ? "" : "s"}, ${bad} problem${bad === 1 ? "" : "s"}`);
            if (bad > 0) process.exitCode = 1;
        });
}
