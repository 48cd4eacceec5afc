import type {Command} from "commander";
import {registerModelsFixtureCommand} from "./commands/ModelsFixtureCommand.js";
import {registerModelsInspectCommand} from "./commands/ModelsInspectCommand.js";
import {registerModelsListCommand} from "./commands/ModelsListCommand.js";
import {registerModelsPullCommand} from "./commands/ModelsPullCommand.js";
import {registerDoctorCommand} from "./commands/DoctorCommand.js";
import {registerRecipesCommand} from "./commands/RecipesCommand.js";
import {registerExportCommand} from "./commands/ExportCommand.js";
import {registerTrainCommand} from "./commands/TrainCommand.js";
import {registerRunsStatusCommand} from "./commands/RunsStatusCommand.js";
import {registerRunsMergeCommand} from "./commands/RunsMergeCommand.js";
import {registerFinetuneCommand} from "./commands/FinetuneCommand.js";
import {registerAdapterCheckCommand} from "./commands/AdapterCheckCommand.js";
import {registerAdapterMergeCommand} from "./commands/AdapterMergeCommand.js";
import {registerAdapterExportPeftCommand} from "./commands/AdapterExportPeftCommand.js";
import {registerGenerateCommand} from "./commands/GenerateCommand.js";
import {registerCharactersValidateCommand} from "./commands/CharactersValidateCommand.js";
import {registerCharactersImportCommand} from "./commands/CharactersImportCommand.js";
import {registerCharactersElicitCommand} from "./commands/CharactersElicitCommand.js";
import {registerDatasetExportCommand} from "./commands/DatasetExportCommand.js";
import {registerDatasetStatsCommand} from "./commands/DatasetStatsCommand.js";
import {registerEvalCommand} from "./commands/EvalCommand.js";
import {registerChatCommand} from "./commands/ChatCommand.js";
import {registerServeCommand} from "./commands/ServeCommand.js";

/**
 * Every CLI command, one file each under cli/commands/. Each handler calls a library function;
 * the command files only parse options.
 */
export function registerCommands(program: Command): void {
    // in the order of the pipeline, so `ditto --help` reads as the method
    registerTrainCommand(program);
    registerDoctorCommand(program);
    const models = program.command("models").description("make, inspect, list and download models");
    registerModelsFixtureCommand(models);
    registerModelsInspectCommand(models);
    registerModelsListCommand(models);
    registerModelsPullCommand(models);
    registerRecipesCommand(program);
    const characters = program.command("characters").description("validate, import and elicit character profiles");
    registerCharactersValidateCommand(characters);
    registerCharactersImportCommand(characters);
    registerCharactersElicitCommand(characters);
    registerGenerateCommand(program);
    const dataset = program.command("dataset").description("export a run's data set and show its statistics");
    registerDatasetExportCommand(dataset);
    registerDatasetStatsCommand(dataset);
    registerFinetuneCommand(program);
    const adapter = program.command("adapter").description("check, merge and export LoRA adapters");
    registerAdapterCheckCommand(adapter);
    registerAdapterMergeCommand(adapter);
    registerAdapterExportPeftCommand(adapter);
    registerEvalCommand(program);
    registerChatCommand(program);
    registerServeCommand(program);
    const runs = program.command("runs").description("inspect and combine run folders");
    registerRunsStatusCommand(runs);
    registerRunsMergeCommand(runs);
    registerExportCommand(program);
}
