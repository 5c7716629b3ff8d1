/* eslint-disable @typescript-eslint/no-explicit-any -- installAuth accepts any typed fastify instance */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { roleAtLeast, type Principal, type Role } from '../users/index.js';
import { ApiError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The least role that may call the route; every route under /api must declare one. */
    role?: Role;
    /** Readable without a token (the OpenAPI document and its page: no data). */
    public?: boolean;
  }
}

export function isApiPath(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}

/**
 * Bearer token -> principal, then the route's declared role. `isPublic` names routes added by
 * plugins that cannot set config (the docs page's files): they are marked public here.
 */
export function installAuth(app: FastifyInstance<any, any, any, any, any>, authenticate: (token: string) => Principal | undefined, isPublic: (url: string) => boolean = () => false) {
  app.addHook('onRoute', (route) => {
    if (isApiPath(route.url) && isPublic(route.url)) route.config = { ...route.config, public: true };
    if (isApiPath(route.url) && !route.config?.role && !route.config?.public) {
      throw new Error(`route ${route.method} ${route.url} declares no role`);
    }
  });
  app.addHook('onRequest', async (req) => {
    // Public by the matched route (never by the raw URL, see below).
    if (req.routeOptions.config?.public) return;
    const need = req.routeOptions.config?.role;
    // The matched route decides, not the raw URL: the router decodes `/%61pi/users` to the
    // /api/users route while req.url keeps the encoding, which used to skip the token check.
    if (!need && !isApiPath(req.url)) return;
    req.principal = principalOf(req, authenticate);
    // Unknown routes under /api still need a valid token (so they reveal nothing) and then 404.
    if (need && !roleAtLeast(req.principal.role, need)) {
      throw new ApiError('GW_FORBIDDEN', `this needs the ${need} role; you are ${req.principal.role}`);
    }
  });
}

function principalOf(req: FastifyRequest, authenticate: (token: string) => Principal | undefined): Principal {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const principal = m ? authenticate(m[1]!) : undefined;
  if (!principal) throw new ApiError('GW_UNAUTHORIZED');
  return principal;
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError('GW_UNAUTHORIZED');
  return req.principal;
}

/** The sites a caller may see: null for every site. */
export function visibleSites(p: Principal): readonly string[] | null {
  return p.sites;
}

export function canSee(p: Principal, site: string): boolean {
  return p.sites === null || p.sites.includes(site);
}

/**
 * Department scope (issue 16): a caller with departments sees an event when it was referred to
 * one of them, or was not referred and its catalogue item belongs to one of them.
 */
export function canSeeDepartment(p: Principal, referredTo: string | null, itemDepartment: string | undefined): boolean {
  if (!p.departments) return true;
  const d = referredTo ?? itemDepartment;
  return d !== undefined && p.departments.includes(d);
}

/**
 * Whether the caller sees every site and department, and so the audit chain's own positions
 * (`seq`, `prevHash`, `hash`). A scoped caller never does: the gaps between its rows' sequence
 * numbers would count the rows of sites it may not see (issue 20, finding 14).
 */
export function seesWholeChain(p: Principal): boolean {
  return p.sites === null && !p.departments;
}

/** Refuses an explicit site filter outside the caller's scope. */
export function requireSite(p: Principal, site: string): void {
  if (!canSee(p, site)) throw new ApiError('GW_FORBIDDEN', `site ${site} is outside your scope`);
}
