import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../gateway/src/events/index.js';
import { createInspections, InspectionError, PolicyError, type InspectionPolicy } from '../../../gateway/src/inspections/index.js';
import { createLogger } from '../../../gateway/src/observability/index.js';
import { openStateDb } from '../../../gateway/src/storage/index.js';
import { EMB, testPolicy } from './fixtures.js';

function service(policy: () => InspectionPolicy) {
  const db = openStateDb(mkdtempSync(join(tmpdir(), 'insp-')));
  return createInspections({
    db,
    audit: createAuditLog(db),
    clock: () => Date.parse('2026-11-30T08:00:00Z'),
    logger: createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })),
    policy,
    sources: () => ({ sites: [], inspectors: [], catalogue: [] }),
    setConflicts: (name) => ({ name, conflicts: [] }),
    raise: () => {},
  });
}
const plan = { title: 't', period: { from: '2026-12-01', to: '2026-12-31' }, departments: [EMB], scope: {} };

describe('inspection plans', () => {
  it('refuse creation with a clear conflict when the policy file cannot be used', () => {
    const s = service(() => {
      throw new PolicyError('rules/inspection-policy.yaml', ['cannot read: ENOENT']);
    });
    expect(() => s.create(plan, 'sup')).toThrow(InspectionError);
    expect(() => s.create(plan, 'sup')).toThrow(/inspection policy cannot be used:[\s\S]*ENOENT/);
  });

  it('keep the seed secret until the draw, then reveal the one whose hash was committed', () => {
    const s = service(() => testPolicy());
    const created = s.create(plan, 'sup');
    expect(created.seed).toBeNull();
    const drawn = s.draw(created.id, 'sup');
    expect(drawn.seed).toMatch(/^[0-9a-f]{64}$/);
    expect(drawn.seedHash).toBe(created.seedHash);
    expect(s.exportOf(created.id)?.seed).toBe(drawn.seed);
  });
});
