// Enterprise profiles (issue 16): credit grade, key supervision and responsible departments per site.
export * from './schema.js';
export { createProfileStore, type ProfileStore } from './store.js';
