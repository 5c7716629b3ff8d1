import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProfiles, ProfileSetError } from '../../../gateway/src/profiles/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gw-profiles-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const problemsOf = (): Array<{ file: string; reason: string }> => {
  try {
    loadProfiles(dir);
  } catch (err) {
    if (err instanceof ProfileSetError) return err.problems;
    throw err;
  }
  return [];
};

describe('loading payload profiles', () => {
  it('loads the shipped DTU, Frigate and Hikvision ISAPI profiles', () => {
    expect([...loadProfiles('profiles').keys()].sort()).toEqual(['dtu-tagvalue', 'frigate', 'hikvision-isapi']);
  });

  it('refuses a profile mapping to an invalid metric name, naming the file and the reason', () => {
    writeFileSync(join(dir, 'vendor.yaml'), 'id: vendor\nroutes:\n  - topic: v/data\n    channel: telemetry\n    metrics:\n      - { path: t, metric: Temperature-C }\n');
    const p = problemsOf();
    expect(p[0]!.file).toBe('vendor.yaml');
    expect(p[0]!.reason).toMatch(/routes\.0\.metrics\.0\.metric: must be 1-64 characters of lower-case letters/);
  });

  it('refuses a label mapped to a detection type outside the vocabulary', () => {
    writeFileSync(join(dir, 'cam.yaml'), 'id: cam\nroutes:\n  - http: cam\n    channel: vision\n    vision:\n      defaultCamera: c1\n      defaultScore: 1\n      label: { path: type }\n      labels: { person: burglar }\n');
    expect(problemsOf()[0]!.reason).toMatch(/labels\.person/);
  });

  it('refuses a route on one of the gateway\'s own topics', () => {
    writeFileSync(join(dir, 'x.yaml'), 'id: x\nroutes:\n  - topic: telemetry\n    channel: telemetry\n    metrics: [{ path: a, metric: a }]\n');
    expect(problemsOf()[0]!.reason).toMatch(/gateway's own topics/);
  });

  it('refuses a snapshot link to a route that is not one of the profile\'s vision routes', () => {
    writeFileSync(join(dir, 'nvr.yaml'), 'id: nvr\nsnapshots: { topic: "nvr/{camera}/{label}/snapshot", route: nvr/events }\nroutes:\n  - topic: nvr/status\n    format: text\n    channel: status\n    status: { online: [online] }\n');
    expect(problemsOf()[0]!.reason).toMatch(/snapshots\.route: snapshots\.route must be the topic of one of the profile's vision routes/);
  });

  it('refuses a snapshot topic that does not name both {camera} and {label}', () => {
    writeFileSync(join(dir, 'nvr.yaml'), 'id: nvr\nsnapshots: { topic: "nvr/{camera}/snapshot", route: nvr/events }\nroutes:\n  - topic: nvr/events\n    channel: vision\n    vision: { defaultCamera: c1, defaultScore: 1, label: { path: l }, labels: { person: intrusion } }\n');
    expect(problemsOf()[0]!.reason).toMatch(/snapshots\.topic: must name \{camera\} and \{label\} once each/);
  });

  it('refuses an unknown time zone', () => {
    writeFileSync(join(dir, 'z.yaml'), 'id: z\nroutes:\n  - topic: z/data\n    channel: telemetry\n    time: { path: t, format: local, zone: Mars/Olympus }\n    metrics: [{ path: a, metric: a }]\n');
    expect(problemsOf()[0]!.reason).toMatch(/IANA time zone/);
  });

  it('names a file that is not YAML', () => {
    writeFileSync(join(dir, 'broken.yaml'), 'id: [unclosed\n');
    expect(problemsOf()[0]).toMatchObject({ file: 'broken.yaml', reason: expect.stringMatching(/not valid YAML/) });
  });

  it('refuses the same profile id in two files', () => {
    const body = 'routes:\n  - topic: a/b\n    channel: status\n    format: text\n    status: { online: [on] }\n';
    writeFileSync(join(dir, 'a.yaml'), `id: same\n${body}`);
    writeFileSync(join(dir, 'b.yaml'), `id: same\n${body}`);
    expect(problemsOf()).toEqual([{ file: 'b.yaml', reason: 'profile id "same" is already defined in a.yaml' }]);
  });

  it('has no profiles when the directory does not exist', () => {
    expect(loadProfiles(join(dir, 'none')).size).toBe(0);
  });
});
