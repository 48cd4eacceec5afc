import {stageNames} from "../runs/stageNames.js";

/** Every stage of `ditto train`, in order: the data pipeline's, then training and evaluation. */
export const trainStages = [...stageNames, "finetune", "eval"] as const;
export type TrainStage = typeof trainStages[number];
