import type { Inspections } from '../inspections/index.js';
import type { ProfileStore } from '../enterprise/index.js';
import type { RiskView } from '../risk/index.js';

/**
 * What the risk, inspection and public-disclosure routes read (issue 16). Optional in ApiDeps:
 * an API built without it simply has no such routes.
 */
export interface SupervisionApi {
  profiles: ProfileStore;
  inspections: Inspections;
  risk: RiskView;
  /** The departments the catalogue names (referral targets, user scopes). */
  departments: () => string[];
  /** The catalogue items of these departments (what a department-scoped user sees). */
  itemsOf: (departments: readonly string[]) => string[];
  /** Requests per minute one address may make to /public/ (default 120). */
  publicPerMinute?: number;
  /** Inspector id -> personal name (users' displayName); public pages show them only when the plan's policy says `publish.inspectorNames: true`. */
  inspectorNames?: () => Readonly<Record<string, string>>;
}
