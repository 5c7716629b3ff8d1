import type { DeviceKind, Sector } from '../../gateway/src/protocol/index.js';
import { topicFor, type Channel } from '../../gateway/src/protocol/index.js';
import type { RegistryFile } from '../../gateway/src/protocol/index.js';
import {
  createSensorState,
  createVisionState,
  detectionTypesFor,
  roundTo,
  sensorModelFor,
  type SensorModel,
  type SensorState,
  type VisionState,
} from './models/index.js';
import { createRng, type Rng } from './prng.js';
import { bindScenarios, checkScenarios, malform, ScenarioError, type DeviceScenarios, type MalformedKind, type ScenarioSpec } from './scenarios.js';

export interface SimDevice {
  site: string;
  device: string;
  sector: Sector;
  kind: DeviceKind;
  /** Cameras publish vision results; every other kind publishes telemetry. */
  camera: boolean;
  /** The plain secret; absent when the registry holds only a hash (such a device cannot connect). */
  secret?: string;
}

export interface SimMessage {
  topic: string;
  /** The JSON object sent, or the raw text of a malformed message. */
  payload: Record<string, unknown> | string;
  site: string;
  device: string;
  channel: Channel;
  /** Scheduled time, ms after the start of the run (the payload ts is startTime + at, plus any skew). */
  at: number;
  malformed?: MalformedKind;
}

/** One turn of the schedule: a device's reading (plus a status message when it comes on the air). */
export interface SimSlot {
  index: number;
  at: number;
  device: SimDevice;
  /** The device is off the air during this turn (silent scenario): no messages. */
  silent: boolean;
  messages: SimMessage[];
}

export interface SimGenerator extends Iterable<SimMessage> {
  readonly seed: string;
  /** Virtual epoch of the run, ms: payload ts = startTime + at. */
  readonly startTime: number;
  readonly rate: number;
  readonly devices: readonly SimDevice[];
  /** The next turn; turns are 1/rate s apart and go round the devices in registry order. */
  nextSlot(): SimSlot;
  /** The next `n` messages. */
  take(n: number): SimMessage[];
  /** A status message of a device, outside the schedule (coming back after an outage, shutting down). */
  status(device: string, online: boolean, at: number): SimMessage;
  /** The device's reading (telemetry, or a camera frame) now, outside the schedule: a command asked for it. Never malformed. */
  onDemand(device: string, at: number): SimMessage;
}

export interface GeneratorConfig {
  devices: readonly SimDevice[];
  seed: string;
  /** Messages per second across the fleet. */
  rate: number;
  startTime: number;
  scenarios?: readonly ScenarioSpec[];
  scenarioDevices?: readonly string[];
}

export function devicesFromRegistry(registry: RegistryFile): SimDevice[] {
  return registry.sites.flatMap((site) =>
    site.devices.map((d) => ({
      site: site.id,
      device: d.id,
      sector: site.sector,
      kind: d.kind,
      camera: d.kind === 'camera',
      ...(d.secret !== undefined ? { secret: d.secret } : {}),
    })),
  );
}

/** Hour of day in China Standard Time (UTC+8), fractional: the daily cycles follow local time. */
export function localHour(epochMs: number): number {
  return (((epochMs / 3_600_000 + 8) % 24) + 24) % 24;
}

// A fleet silent for this many turns in a row ends iteration instead of spinning.
const MAX_EMPTY_TURNS = 1_000_000;

interface DeviceRun {
  dev: SimDevice;
  model?: SensorModel;
  sensor?: SensorState;
  vision?: VisionState;
  scenarios: DeviceScenarios;
  malformRng: Rng;
  onAir: boolean;
}

/**
 * The message sequence of a run, without any broker: a pure function of the devices, seed,
 * rate, start time and scenarios. Every device draws from its own seeded streams, so the
 * values of one device do not depend on the others.
 */
export function buildGenerator(cfg: GeneratorConfig): SimGenerator {
  if (cfg.devices.length === 0) throw new ScenarioError('the fleet has no devices');
  if (!(cfg.rate > 0)) throw new ScenarioError('the rate must be greater than 0');
  const scenarios = cfg.scenarios ?? [];
  const root = createRng(`sim/${cfg.seed}`);
  const runs: DeviceRun[] = cfg.devices.map((dev) => {
    const rng = root.fork(`device/${dev.device}`);
    const model = dev.camera ? undefined : sensorModelFor(dev.sector);
    return {
      dev,
      ...(model ? { model, sensor: createSensorState(model, rng.fork('model')) } : { vision: createVisionState(dev.sector, rng.fork('vision')) }),
      scenarios: bindScenarios(
        scenarios,
        { site: dev.site, device: dev.device, camera: dev.camera, ...(model ? { model } : {}) },
        cfg.scenarioDevices,
        rng.fork('scenario'),
        detectionTypesFor(dev.sector)[0]!.type,
      ),
      malformRng: rng.fork('malformed'),
      onAir: false,
    };
  });
  const problems = checkScenarios(
    scenarios,
    runs.map((r) => ({ site: r.dev.site, device: r.dev.device, camera: r.dev.camera, ...(r.model ? { model: r.model } : {}) })),
    cfg.scenarioDevices,
  );
  if (problems.length) throw new ScenarioError(problems.join('\n'));

  const byId = new Map(runs.map((r) => [r.dev.device, r]));
  const interval = 1000 / cfg.rate;
  let index = 0;

  const message = (run: DeviceRun, channel: Channel, at: number, payload: Record<string, unknown> | string, malformed?: MalformedKind): SimMessage => ({
    topic: topicFor(run.dev.site, run.dev.device, channel),
    payload,
    site: run.dev.site,
    device: run.dev.device,
    channel,
    at,
    ...(malformed ? { malformed } : {}),
  });

  const reading = (run: DeviceRun, at: number, onDemand = false): SimMessage => {
    const now = cfg.startTime + at;
    const hour = localHour(now);
    const ts = Math.floor(now) + run.scenarios.skew(at);
    let channel: 'telemetry' | 'vision';
    let payload: Record<string, unknown>;
    if (run.sensor && run.model) {
      channel = 'telemetry';
      const values = run.sensor.read(at / 1000, hour);
      run.scenarios.telemetry(at, values);
      const metrics: Record<string, number> = {};
      for (const m of run.model.metrics) metrics[m.name] = roundTo(values[m.name]!, m.decimals);
      payload = { ts, metrics };
    } else {
      channel = 'vision';
      const detections = run.vision!.frame(hour, run.scenarios.burst(at));
      payload = {
        ts,
        camera: run.dev.device,
        detections: detections.map((d) => ({ type: d.type, confidence: d.confidence, bbox: d.bbox })),
        ...(detections.length > 0 ? { snapshot: `https://snapshots.sim.invalid/${run.dev.site}/${run.dev.device}/${ts}.jpg` } : {}),
      };
    }
    const broken = onDemand ? undefined : run.scenarios.malformed(at);
    if (broken) return message(run, channel, at, malform(broken, channel, payload, run.malformRng), broken);
    return message(run, channel, at, payload);
  };

  const nextSlot = (): SimSlot => {
    const i = index++;
    const at = i * interval;
    const run = runs[i % runs.length]!;
    if (run.scenarios.silent(at)) {
      run.onAir = false;
      return { index: i, at, device: run.dev, silent: true, messages: [] };
    }
    const messages: SimMessage[] = [];
    if (!run.onAir) {
      run.onAir = true;
      messages.push(message(run, 'status', at, { online: true }));
    }
    messages.push(reading(run, at));
    return { index: i, at, device: run.dev, silent: false, messages };
  };

  // Messages of a turn not yet handed out by take() or the iterator.
  const pending: SimMessage[] = [];
  const nextMessage = (): SimMessage | undefined => {
    let empty = 0;
    while (pending.length === 0) {
      const slot = nextSlot();
      if (slot.messages.length === 0 && ++empty >= MAX_EMPTY_TURNS) return undefined;
      pending.push(...slot.messages);
    }
    return pending.shift();
  };

  function* iterate(): Generator<SimMessage> {
    for (;;) {
      const m = nextMessage();
      if (!m) return;
      yield m;
    }
  }

  return {
    seed: cfg.seed,
    startTime: cfg.startTime,
    rate: cfg.rate,
    devices: cfg.devices,
    nextSlot,
    take(n) {
      const out: SimMessage[] = [];
      while (out.length < n) {
        const m = nextMessage();
        if (!m) break;
        out.push(m);
      }
      return out;
    },
    status(device, online, at) {
      const run = byId.get(device);
      if (!run) throw new Error(`unknown device ${device}`);
      run.onAir = online;
      return message(run, 'status', at, { online });
    },
    onDemand(device, at) {
      const run = byId.get(device);
      if (!run) throw new Error(`unknown device ${device}`);
      return reading(run, at, true);
    },
    [Symbol.iterator]: iterate,
  };
}
