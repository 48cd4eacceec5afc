import type {Command} from "commander";
import {registerModelsFixtureCommand} from "./commands/ModelsFixtureCommand.js";
import {registerModelsInspectCommand} from "./commands/ModelsInspectCommand.js";
import {registerModelsListCommand} from "./commands/ModelsListCommand.js";
import {registerModelsPullCommand} from "./commands/ModelsPullCommand.js";
import {registerDoctorCommand} from "./commands/DoctorCommand.js";
import {registerRecipesCommand} from "./commands/RecipesCommand.js";
import {registerExportCommand} from "./commands/ExportCommand.js";

/**
 * Every CLI command, one file each under cli/commands/. Each handler calls a library function;
 * the command files only parse options.
 */
export function registerCommands(program: Command): void {
    const models = program.command("models").description("make, inspect, list and download models");
    registerModelsFixtureCommand(models);
    registerModelsInspectCommand(models);
    registerModelsListCommand(models);
    registerModelsPullCommand(models);
    registerDoctorCommand(program);
    registerRecipesCommand(program);
    registerExportCommand(program);
}
