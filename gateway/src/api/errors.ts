import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LifecycleError } from '../events/index.js';

// Every error the API answers with: a stable code, its HTTP status and a default message.
export const ERRORS = {
  GW_UNAUTHORIZED: { status: 401, message: 'missing or invalid bearer token' },
  GW_FORBIDDEN: { status: 403, message: 'not allowed' },
  GW_NOT_FOUND: { status: 404, message: 'not found' },
  GW_BAD_REQUEST: { status: 400, message: 'bad request' },
  GW_BAD_CURSOR: { status: 400, message: 'bad page cursor' },
  GW_CONFLICT: { status: 409, message: 'conflict' },
  GW_GONE: { status: 410, message: 'this no longer exists' },
  GW_PAYLOAD_TOO_LARGE: { status: 413, message: 'request body too large' },
  GW_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type' },
  GW_RATE_LIMITED: { status: 429, message: 'too many requests' },
  GW_HISTORY_OFF: { status: 503, message: 'time-series history is off: no InfluxDB is configured' },
  GW_UPSTREAM: { status: 502, message: 'InfluxDB did not answer the query' },
  GW_INTERNAL: { status: 500, message: 'internal error' },
} as const;
export type ErrorCode = keyof typeof ERRORS;

export const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }).passthrough() });

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    /** Extra fields for the error body, e.g. the current state on a 409. */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message ?? ERRORS[code].message);
    this.status = ERRORS[code].status;
  }
}

function send(reply: FastifyReply, code: ErrorCode, message: string, extra?: Record<string, unknown>) {
  return reply.code(ERRORS[code].status).send({ error: { code, message, ...extra } });
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'GW_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'GW_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'GW_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'GW_BAD_REQUEST',
};

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof ApiError) return send(reply, err.code, err.message, err.extra);
  // Domain errors, mapped here once: a lifecycle request the event (or window) does not allow.
  if (err instanceof LifecycleError) {
    if (err.kind === 'not_found') return send(reply, 'GW_NOT_FOUND', err.message);
    return send(reply, 'GW_CONFLICT', err.message, err.state !== undefined ? { state: err.state } : undefined);
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'request';
    const detail = err.validation
      .slice(0, 5)
      .map((i) => `${where}${i.instancePath ? i.instancePath.replace(/\//g, '.') : ''}: ${i.message}`)
      .join('; ');
    return send(reply, 'GW_BAD_REQUEST', detail);
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) return send(reply, mapped, err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return send(reply, 'GW_BAD_REQUEST', err.message);
  req.log.error({ err }, 'request failed');
  return send(reply, 'GW_INTERNAL', 'internal error');
}

/**
 * For Fastify's `frameworkErrors` option. The router answers some requests before any route or
 * hook runs (a URL with bad percent-encoding such as `/api/%ZZ` is FST_ERR_BAD_URL), and by
 * default in Fastify's own error shape; this keeps those answers in the documented GW_ form.
 */
export function frameworkErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_BAD_URL') return send(reply, 'GW_BAD_REQUEST', 'the URL is not validly percent-encoded');
  return send(reply, 'GW_BAD_REQUEST', err.message);
}
