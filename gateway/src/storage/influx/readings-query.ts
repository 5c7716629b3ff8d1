import { quoteIdent } from './query.js';

export interface ReadingsQueryInput {
  site: string;
  device?: string;
  metric: string;
  since: number;
  until: number;
  limit: number;
}

/**
 * The InfluxQL behind GET /api/readings: one metric of a site (or one device), per device,
 * oldest first. The metric is a field name (a strict pattern checked at the edge) and cannot
 * be a bound parameter; it is quoted as an identifier. Every other value is bound.
 */
export function readingsQuery(q: ReadingsQueryInput): { sql: string; params: Record<string, string> } {
  const params: Record<string, string> = { site: q.site };
  let where = `"site" = $site`;
  if (q.device) {
    where += ` AND "device" = $device`;
    params.device = q.device;
  }
  const sql = `SELECT ${quoteIdent(q.metric)} FROM "telemetry" WHERE ${where} AND time >= ${Math.trunc(q.since)}ms AND time <= ${Math.trunc(q.until)}ms GROUP BY "device" ORDER BY time ASC LIMIT ${q.limit}`;
  return { sql, params };
}
