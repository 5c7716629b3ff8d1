// "双随机、一公开": the inspection policy, the verifiable draw (pure, shared by the gateway and
// the verify command), plans and records on the state database, and the public export.
export { canonicalJson, hashOf, sha256Hex } from './canonical.js';
export { createStream, pick, parseSeed, type SeededStream } from './random.js';
export { inspectionPolicySchema, loadPolicy, parsePolicy, policyVersion, PolicyError, POLICY_FILE, stratumShare, type InspectionPolicy, type DepartmentPolicy } from './policy.js';
export { canonicalPool, planParamsSchema, poolHash, poolSchema, type PlanParams, type Pool, type PoolSite } from './pool.js';
export { computeDraw, drawSchema, DrawError, planDays, visitSchema, type Draw, type Visit } from './draw.js';
export { EXPORT_FORMAT, outcomeSchema, OUTCOMES, planExportSchema, publicResultSchema, verifyExport, withInspectorNames, type Outcome, type PlanExport } from './export.js';
export { freezePool, type FreezeInput } from './freeze.js';
export { conclusionOf, inspectionRecordSchema, visitRecordSchema, type InspectionRecord, type VisitRecord } from './records.js';
export { createInspections, InspectionError, newPlanSchema, type Inspections, type InspectionsDeps, type NewPlan, type Plan } from './service.js';
export { checkInSchema, confirmationSchema, createVisitSteps, locationSchema, visitStepsSchema, CONFIRMATION_TTL_MS, MAX_CONFIRMATION_ATTEMPTS, type CheckInLocation, type VisitSteps, type VisitStepsStore } from './visit-steps.js';
