// The SessionStore is an aedes persistence: it must pass aedes-persistence's abstract suite
// (subscriptions, retained, outgoing queue, in-flight updates, incoming QoS 2, wills).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('passes every test of aedes-persistence abstract suite', async () => {
  const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/helpers/aedes-persistence-abstract.ts'], {
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(run.stdout)?.[1] ?? -1);
  expect(run.stdout.split('\n').filter((l) => l.startsWith('not ok'))).toEqual([]);
  expect(count('fail')).toBe(0);
  expect(count('pass')).toBeGreaterThanOrEqual(50);
}, 120_000);
