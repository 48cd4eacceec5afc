/**
 * ditto's public API: the pipeline as library calls. The CLI (src/cli) is a thin layer over these.
 *
 *   recipe      loadRecipe, recipeSchema
 *   models      resolveModelRef, pullModel, makeFixtureModel, inspectModel
 *   runtime     openLlama, loadModel, GenerationPool, OpenAiCompatibleBackend
 *   data        generateDataset (characters -> pairs -> queries -> responses -> sessions -> dataset)
 *   training    finetune, openEngine, writeAdapterGguf, checkAdapter, mergeAdapter, exportPeft
 *   evaluation  evaluateRun
 *   everything  trainRecipe (`ditto train`), exportRun (`ditto export`)
 */
export {DittoError} from "./errors/DittoError.js";

export {loadRecipe, listRecipes} from "./recipes/loadRecipe.js";
export {recipeSchema, type Recipe, type RecipeInput} from "./recipes/recipeSchema.js";
export {RecipeError} from "./recipes/RecipeError.js";

export {resolveModelRef} from "./models/resolveModelRef.js";
export {pullModel} from "./models/pullModel.js";
export {inspectModel} from "./models/inspectModel.js";
export {makeFixtureModel} from "./fixtures/makeFixtureModel.js";
export {readGgufHeader} from "./gguf/readGgufHeader.js";
export {writeGguf} from "./gguf/GgufWriter.js";

export {openLlama} from "./runtime/openLlama.js";
export {loadModel} from "./runtime/loadModel.js";
export {GenerationPool} from "./runtime/GenerationPool.js";
export {OpenAiCompatibleBackend} from "./runtime/OpenAiCompatibleBackend.js";
export type {GenerationBackend} from "./runtime/GenerationBackend.js";
export type {ChatMessage, Sampling, GenerateRequest, GenerateResult} from "./runtime/generationTypes.js";

export {characterSchema, type Character} from "./characters/characterSchema.js";
export {querySchema, type Query} from "./queries/querySchema.js";
export {turnSchema, type Turn} from "./responses/turnSchema.js";
export {sessionSchema, type Session} from "./sessions/sessionSchema.js";
export {trainingExampleSchema, type TrainingExample} from "./dataset/trainingExampleSchema.js";
export {generateDataset} from "./generate/generateDataset.js";

export {finetune} from "./train/finetune.js";
export {openEngine} from "./engine/openEngine.js";
export type {TrainEngine, LoraConfig, LoraTarget, TrainBatch} from "./engine/TrainEngine.js";
export {writeAdapterGguf} from "./adapter/writeAdapterGguf.js";
export {checkAdapter} from "./adapter/checkAdapter.js";
export {mergeAdapter} from "./adapter/mergeAdapter.js";
export {exportPeft} from "./adapter/exportPeft.js";

export {evaluateRun} from "./eval/evaluateRun.js";
export {buildEvalSet} from "./eval/buildEvalSet.js";
export {importWikiRoleEval} from "./eval/importWikiRoleEval.js";
export {writeEvalReport} from "./eval/writeEvalReport.js";
export {runChatRepl} from "./chat/runChatRepl.js";
export {openChatBackend} from "./chat/openChatBackend.js";

export {trainRecipe} from "./pipeline/trainRecipe.js";
export {runStatus} from "./pipeline/runStatus.js";
export {exportRun} from "./export/exportRun.js";
