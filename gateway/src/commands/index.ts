// Device commands (issue 21): supervisors send a device a command; it is kept in the state
// database until the device acknowledges it or its TTL passes, and the device's reply on the
// replies channel is attached to it. The HJ 212 downlink reports through the same records.
export { createDeviceCommands, CommandRefused, MAX_REPLY_BYTES, type DeviceCommands, type CommandRecords, type Hj212Transport, type ReplyOutcome } from './service.js';
export { commandRoutes, type CommandRouteDeps } from './routes.js';
export { COMMAND_STATES, commandRecordSchema, newCommandSchema, type CommandRecord, type CommandState, type NewCommand } from './schema.js';
export { filterMatches } from './mqtt.js';
