// Risk early warning: the model file, the pure score, and the service that scores sites,
// keeps their history and raises an event when a level rises.
export { loadRiskModel, parseRiskModel, RiskModelError, riskModelSchema, RISK_FILE, type RiskModel } from './model.js';
export { computeRisk, contributionSchema, levelOf, riskScoreSchema, type Contribution, type RiskInput, type RiskScore } from './compute.js';
export { createRiskService, type RiskService, type RiskServiceDeps, type RiskSite, type RiskView } from './service.js';
