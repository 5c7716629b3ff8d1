// People: API users, their roles and site scopes, and token authentication.
export * from './schema.js';
export { createUserStore, hashToken, newToken, UserError, type UserStore } from './store.js';
export { loadApiToken } from './api-token.js';
export { makeAllSitesExplicit } from './legacy-scope.js';
