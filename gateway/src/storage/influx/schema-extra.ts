import { escapeName, nanos } from './line-protocol.js';

// The rest of the gateway's InfluxDB schema (line-protocol.ts documents telemetry, detection
// and event): device status, the maintenance mark on telemetry, and the readings query.
//
//   device_status,device=<device>,sector=<sector>,site=<site> online=<0|1>i,rejected=<n>i <ts>
//     A device's connection state at <ts> (gateway clock): on connect, disconnect, a status
//     message, and once a minute while it is heard; `rejected` counts its messages refused
//     since the previous status point.
//   telemetry ... ,maintenance=true <ts>
//     Readings taken inside a maintenance window carry this boolean field (absent otherwise).

export function statusLine(d: { site: string; device: string; sector: string }, online: boolean, rejected: number, at: number): string {
  return `device_status,device=${escapeName(d.device)},sector=${escapeName(d.sector)},site=${escapeName(d.site)} online=${online ? 1 : 0}i,rejected=${rejected}i ${nanos(at)}`;
}

/** Adds the maintenance field to a built telemetry line (its timestamp is always the last space-separated part). */
export function markMaintenance(line: string): string {
  const cut = line.lastIndexOf(' ');
  return `${line.slice(0, cut)},maintenance=true${line.slice(cut)}`;
}
