// The device protocol: the face a device, a simulator or a vendor bridge needs, and the one
// place its contract is written. Topics and channels (topics.ts), the JSON payload schemas of
// each channel, the shared vocabulary (sectors, kinds, metrics, detection types), the HJ 212
// framing and packet codec, and the registry file a fleet is described in. The broker ACL, ingest decoding and device-sim all
// read it from here; device-sim imports nothing else of the gateway.
export { CHANNELS, isChannel, parseTopic, devicePrefix, topicFor, commandsTopic, commandsFilter, eventTopic, SUPERVISION_FILTER, type Channel, type ParsedTopic } from './topics.js';
export { commandEnvelopeSchema, commandReplySchema, commandNameSchema, commandIdSchema, commandTopic, replyTopic, replyCommandId, COMMAND_NAME_PATTERN, COMMAND_ID_PATTERN, type CommandEnvelope, type CommandReply } from './commands.js';
export { telemetryPayloadSchema, visionPayloadSchema, statusPayloadSchema, pictureSchema, DATA_FLAGS } from './payloads.js';
export { SECTORS, METRICS, detectionTypeSchema, type Sector, type DeviceKind, type DetectionType } from '../domain/index.js';
export { loadRegistry, parseRegistry, RegistryError, type RegistryFile } from '../registry/index.js';
export { Framer, parsePacket, formatLocalTime, formatPacket, frame, type CrcMode } from '../hj212/index.js';
