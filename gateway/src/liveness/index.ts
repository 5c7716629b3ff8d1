// Device liveness: online, last seen and latest values per device, and the device_status
// points that record them. Every source reports through the pipeline, which updates it.
export { createLiveness, type Liveness, type StatusWriter } from './liveness.js';
