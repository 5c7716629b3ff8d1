import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Decoded, IngestLimits, Rejection } from '../ingest/index.js';
import { jsonDepthExceeds } from '../ingest/index.js';
import { topicFor, type Channel } from '../protocol/topics.js';
import type { Counter, Logger } from '../observability/index.js';
import { isChannel } from '../protocol/topics.js';
import type { RegisteredDevice } from '../registry/index.js';
import { BodyError, documentKind, readMultipart, type PushedBody } from './body.js';
import type { createDeviceAuth } from './device-auth.js';

/** What a message came to in the pipeline: accepted (and durable once awaited) or rejected. */
export type Outcome = { ok: true; channel: Channel } | Rejection;

export interface HttpIngestOptions {
  authenticate: ReturnType<typeof createDeviceAuth>;
  /** Decodes one canonical payload as if published on the device's own topic. */
  decode: (topic: string, payload: Buffer, device: RegisteredDevice, now: number) => Decoded | Rejection;
  /** The pipeline: resolves once what was accepted is durable. */
  accept: (device: RegisteredDevice, decoded: Decoded | Rejection, qos: number) => Outcome | Promise<Outcome>;
  /** Vendor payloads by payload profile; null when no profile of the device serves the path. */
  translate?: (device: RegisteredDevice, path: string, body: PushedBody, now: number) => Decoded | Rejection | { ignored: string } | null;
  /** True while the outbox is at its cap: the device is asked to come back later. */
  busy: () => boolean;
  clock: () => number;
  limits: IngestLimits & { maxItems: number; maxBodyBytes: number };
  authFailures: Counter;
  logger: Logger;
}

type Item = { index: number; ok: true; channel: Channel } | { index: number; ok: false; reason: string; detail: string };

function send(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).send({ error: { code, message, ...extra } });
}

/**
 * Device push over HTTP: `POST /ingest/v1/telemetry|vision|status` with the MQTT payloads (one,
 * or an array of them), and `POST /ingest/v1/<path>` for paths a device's payload profile
 * serves (e.g. `isapi`). Site and device come only from the credentials. A 2xx goes out only
 * after what was accepted is durable; arrays get one result per item.
 */
export function httpIngestRoutes(opts: HttpIngestOptions) {
  const { limits } = opts;
  return async (app: FastifyInstance) => {
    // Bodies are kept as bytes: the same checks as on MQTT (depth, forbidden keys) run on them.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(['application/json', 'application/xml', 'text/xml'], { parseAs: 'buffer', bodyLimit: limits.maxBodyBytes }, (_req, body, done) => done(null, body));
    app.addContentTypeParser(/^application\/[\w.+-]+\+(json|xml)$/, { parseAs: 'buffer', bodyLimit: limits.maxBodyBytes }, (_req, body, done) => done(null, body));
    await app.register(multipart, { throwFileSizeLimit: true, isPartAFile: () => true });

    app.addHook('onRequest', async (req, reply) => {
      const auth = await opts.authenticate(req);
      if (auth.ok) {
        devices.set(req, auth.device);
        return;
      }
      if (auth.reason !== 'no_credentials') {
        opts.authFailures.inc({ reason: auth.reason });
        opts.logger.warn({ address: req.socket.remoteAddress, reason: auth.reason }, 'device push refused');
      }
      if (auth.reason === 'login_backoff') {
        reply.header('retry-after', String(auth.retryAfterS));
        return send(reply, 429, 'GW_RATE_LIMITED', `too many failed logins from this address; retry in ${auth.retryAfterS} s`);
      }
      reply.header('www-authenticate', 'Basic realm="gateway device ingest", charset="UTF-8"');
      const why = { no_credentials: 'device credentials are required (HTTP Basic: device id and secret, or a client certificate)', unknown_device: 'unknown device or bad secret', bad_secret: 'unknown device or bad secret', cert_required: 'devices must present a client certificate' }[auth.reason];
      return send(reply, 401, 'GW_DEVICE_UNAUTHORIZED', why);
    });

    const devices = new WeakMap<FastifyRequest, RegisteredDevice>();

    app.post<{ Params: { path: string } }>('/ingest/v1/:path', async (req, reply) => {
      const device = devices.get(req)!;
      if (opts.busy()) {
        reply.header('retry-after', '5');
        return send(reply, 503, 'GW_BACKLOG', 'the gateway outbox is at its cap; nothing was accepted, retry later');
      }
      const path = req.params.path;
      let body: PushedBody;
      try {
        body = await readBody(req);
      } catch (err) {
        if (err instanceof BodyError) return send(reply, err.status, err.status === 413 ? 'GW_PAYLOAD_TOO_LARGE' : err.status === 415 ? 'GW_UNSUPPORTED_MEDIA_TYPE' : 'GW_BAD_REQUEST', err.message);
        throw err;
      }
      const now = opts.clock();
      if (!isChannel(path)) {
        const decoded = opts.translate?.(device, path, body, now) ?? null;
        if (decoded === null) return send(reply, 404, 'GW_NOT_FOUND', `no ingest path /ingest/v1/${path} for device ${device.device} (telemetry, vision, status, or a path of its payload profile)`);
        if ('ignored' in decoded) return { ok: true, ignored: decoded.ignored };
        const outcome = await opts.accept(device, decoded, 1);
        return outcome.ok ? { ok: true, channel: outcome.channel } : rejected(reply, outcome);
      }
      if (body.kind !== 'json') return send(reply, 415, 'GW_UNSUPPORTED_MEDIA_TYPE', `/ingest/v1/${path} takes application/json`);
      // One level more than MQTT allows: the array around the items.
      if (jsonDepthExceeds(body.text, limits.maxJsonDepth + 1)) return send(reply, 400, 'GW_BAD_REQUEST', `JSON nesting is deeper than ${limits.maxJsonDepth}`);
      let json: unknown;
      try {
        json = JSON.parse(body.text.toString('utf8'));
      } catch (err) {
        return send(reply, 400, 'GW_BAD_REQUEST', `body is not JSON: ${(err as Error).message.slice(0, 120)}`);
      }
      const channel = path as Channel;
      if (!Array.isArray(json)) {
        const outcome = await acceptItem(device, channel, json, now);
        return outcome.ok ? { ok: true, channel } : rejected(reply, outcome);
      }
      if (json.length === 0 || json.length > limits.maxItems) return send(reply, 413, 'GW_PAYLOAD_TOO_LARGE', `an array body holds 1 to ${limits.maxItems} payloads; this one has ${json.length}`);
      const results: Item[] = [];
      // In order, one at a time: each item's effects (rules, outbox) follow the one before.
      for (let index = 0; index < json.length; index++) {
        const o = await acceptItem(device, channel, json[index], now);
        results.push(o.ok ? { index, ok: true, channel } : { index, ok: false, reason: o.reason, detail: o.detail });
      }
      const accepted = results.filter((r) => r.ok).length;
      return { accepted, rejected: results.length - accepted, results };
    });
  };

  function rejected(reply: FastifyReply, r: Rejection) {
    const status = r.reason === 'payload_too_large' || r.reason === 'picture_too_large' ? 413 : 422;
    return send(reply, status, 'GW_PAYLOAD_REJECTED', r.detail, { reason: r.reason });
  }

  async function readBody(req: FastifyRequest): Promise<PushedBody> {
    if (req.isMultipart()) return readMultipart(req, { maxDocumentBytes: limits.maxPayloadBytes, maxPictureBytes: limits.maxPictureBytes });
    const kind = documentKind(req.headers['content-type']);
    if (!kind || !Buffer.isBuffer(req.body)) throw new BodyError(415, 'send application/json, application/xml or multipart/form-data');
    return { kind, text: req.body };
  }

  function acceptItem(device: RegisteredDevice, channel: Channel, item: unknown, now: number): Outcome | Promise<Outcome> {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const { site, device: named, ...rest } = item as Record<string, unknown>;
      // Who sent it is the credential's answer; a body naming someone else is refused, not re-routed.
      if ((site !== undefined && site !== device.site) || (named !== undefined && named !== device.device)) {
        return opts.accept(device, { ok: false, reason: 'foreign_device', detail: `device ${device.device} of site ${device.site} may not send for ${String(named ?? device.device)} of site ${String(site ?? device.site)}` }, 1);
      }
      item = rest;
    }
    // Re-serialised, so the MQTT checks (size, forbidden keys, \u-escaped keys) see it as bytes.
    return opts.accept(device, opts.decode(topicFor(device.site, device.device, channel), Buffer.from(JSON.stringify(item)), device, now), 1);
  }
}
