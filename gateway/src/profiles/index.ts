// Payload profiles: YAML files that map a vendor's messages (DTU tag/value JSON, Frigate NVR
// events, Hikvision ISAPI alerts) to the gateway's own readings, detections and status.
export { createProfiles, type Profiles, type ProfileResult, type Ignored, type ProfileReload } from './profiles.js';
export { loadProfiles, ProfileSetError, type ProfileProblem } from './loader.js';
export { profileSchema, routeSchema, type Profile, type ProfileRoute } from './schema.js';
export { translate, type Translation } from './translate.js';
export { parseTime, zonedToEpoch, TIME_FORMATS, type TimeFormat } from './time.js';
export { parseDeviceXml } from './xml.js';
