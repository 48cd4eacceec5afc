import type {Command} from "commander";
import {registerModelsFixtureCommand} from "./commands/ModelsFixtureCommand.js";
import {registerRecipesCommand} from "./commands/RecipesCommand.js";
import {registerExportCommand} from "./commands/ExportCommand.js";

/**
 * Every CLI command, one file each under cli/commands/. Each handler calls a library function;
 * the command files only parse options.
 */
export function registerCommands(program: Command): void {
    const models = program.command("models").description("make, inspect, list and download models");
    registerModelsFixtureCommand(models);
    registerRecipesCommand(program);
    registerExportCommand(program);
}
