// One model per sector; cameras of every sector share the vision model.
import type { Sector } from '../../../gateway/src/protocol/index.js';
import { constructionModel } from './construction.js';
import { fireworksModel } from './fireworks.js';
import { hazardousChemicalsModel } from './hazardous-chemicals.js';
import type { SensorModel } from './metric-model.js';
import { miningModel } from './mining.js';
import { pollutionSourceModel } from './pollution-source.js';

export { createSensorState, clamp, roundTo, type MetricSpec, type SensorModel, type SensorState } from './metric-model.js';
export { createVisionState, detectionTypesFor, KITCHEN_DETECTIONS, WORKSITE_DETECTIONS, type Burst, type SimDetection, type VisionState } from './vision.js';
export { hazardousChemicalsModel, miningModel, constructionModel, pollutionSourceModel, fireworksModel };

export function sensorModelFor(sector: Sector): SensorModel {
  switch (sector) {
    case 'hazardous_chemicals':
      return hazardousChemicalsModel;
    case 'mining':
      return miningModel;
    case 'construction':
      return constructionModel;
    case 'pollution_source':
      return pollutionSourceModel;
    case 'fireworks':
    case 'food_service':
    case 'other':
      return fireworksModel;
  }
}
