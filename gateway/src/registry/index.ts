// The site/device registry: who may connect, which site and sector each device belongs to.
export { registrySchema, type RegistryFile, type SiteEntry, type DeviceEntry, type Hj212Entry } from './schema.js';
export { loadRegistry, parseRegistry, RegistryError, type Registry, type RegisteredDevice } from './registry.js';
export { checkCreditCode } from './credit-code.js';
export { hashSecret, verifySecret } from './secrets.js';
export { createRegistryHost, type RegistryHost, type RegistryReloadResult, type RegistryChange } from './host.js';
