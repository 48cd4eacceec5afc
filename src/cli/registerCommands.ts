import type {Command} from "commander";
import {registerModelsFixtureCommand} from "./commands/ModelsFixtureCommand.js";
import {registerModelsInspectCommand} from "./commands/ModelsInspectCommand.js";
import {registerModelsListCommand} from "./commands/ModelsListCommand.js";
import {registerModelsPullCommand} from "./commands/ModelsPullCommand.js";
import {registerDoctorCommand} from "./commands/DoctorCommand.js";
import {registerRecipesCommand} from "./commands/RecipesCommand.js";
import {registerExportCommand} from "./commands/ExportCommand.js";
import {registerFinetuneCommand} from "./commands/FinetuneCommand.js";
import {registerAdapterCheckCommand} from "./commands/AdapterCheckCommand.js";
import {registerAdapterMergeCommand} from "./commands/AdapterMergeCommand.js";
import {registerAdapterExportPeftCommand} from "./commands/AdapterExportPeftCommand.js";

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
    registerFinetuneCommand(program);
    const adapter = program.command("adapter").description("check, merge and export LoRA adapters");
    registerAdapterCheckCommand(adapter);
    registerAdapterMergeCommand(adapter);
    registerAdapterExportPeftCommand(adapter);
}
