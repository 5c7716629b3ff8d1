// Enterprise profiles: credit grade, key supervision and responsible departments per site.
export * from './schema.js';
export { createProfileStore, type ProfileStore } from './store.js';
