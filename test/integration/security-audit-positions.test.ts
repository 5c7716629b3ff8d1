// A scoped caller never learns how many audit rows of other sites lie between its own
// (issue 20, finding 14). Two sites, interleaved transitions, a real gateway over real HTTP and
// SSE: a viewer of one site pages the audit, reads an event's history, acts on it and resumes
// its event stream; nothing it is given carries the global chain position, its cursors and
// stream ids cannot be read for one, and a changed or borrowed one is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, raise } from '../helpers/events.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { openSse, type SseClient } from '../helpers/sse.js';

const MINE = 'mine-007';
// Rows of the other site written between two of the viewer's own rows, each time a different count.
const GAPS = [3, 7, 1, 5];

/**
 * Every integer a cursor could be read as holding: the numbers in its text and in its base64url
 * decoding, and the unsigned big- and little-endian fields of 1 to 8 bytes at every offset of the
 * decoded bytes.
 */
function fieldsOf(token: string): Map<string, number> {
  const out = new Map<string, number>();
  const numbersIn = (name: string, text: string) => [...text.matchAll(/\d+/g)].forEach((m, i) => out.set(`${name}:${i}`, Number(m[0])));
  numbersIn('text', token);
  const bytes = Buffer.from(token, 'base64url');
  numbersIn('decoded', bytes.toString('latin1'));
  for (let width = 1; width <= 8; width++) {
    for (let at = 0; at + width <= bytes.length; at++) {
      const slice = bytes.subarray(at, at + width);
      out.set(`be${width}@${at}`, Number(BigInt(`0x${slice.toString('hex')}`)));
      out.set(`le${width}@${at}`, Number(BigInt(`0x${Buffer.from(slice).reverse().toString('hex')}`)));
    }
  }
  return out;
}

/** The fields that step, from each cursor to the next, by exactly the chain's step between their rows. */
function positionFields(tokens: string[], seqs: number[]): string[] {
  const fields = tokens.map(fieldsOf);
  return [...fields[0]!.keys()].filter((k) => fields.every((f, i) => i === 0 || (f.has(k) && fields[i - 1]!.has(k) && f.get(k)! - fields[i - 1]!.get(k)! === seqs[i]! - seqs[i - 1]!)));
}

/** Flips one character in the middle of a cursor, keeping it base64url. */
const tamper = (token: string) => token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);

describe('audit positions for a viewer of one site', () => {
  let gw: TestGateway;
  let viewer: string;
  let sameSites: string;
  let operator: string;
  let mine: string;
  let chem: string;
  /** The viewer's own rows as the admin sees them, with their chain seq. */
  let own: Array<{ seq: number; type: string; note: string | null }>;

  /** One comment on the viewer's event after `gap` rows of the other site. */
  async function interleave(gap: number, note: string) {
    for (let k = 0; k < gap; k++) expect((await gw.post(`/api/events/${chem}/comments`, { note: `chem ${k}` })).status).toBe(200);
    expect((await gw.post(`/api/events/${mine}/comments`, { note })).status).toBe(200);
  }

  beforeAll(async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    viewer = await createUser(gw, 'pos-viewer', 'viewer', [MINE]);
    sameSites = await createUser(gw, 'pos-viewer-2', 'viewer', [MINE]);
    operator = await createUser(gw, 'pos-operator', 'operator', [MINE]);
    chem = await raise(gw, 'gas-01', { gas_lel: 60 });
    mine = await raise(gw, 'ch4-01', { ch4: 2 });
    for (const [i, gap] of GAPS.entries()) await interleave(gap, `mine ${i}`);
    own = ((await gw.api(`/api/audit?site=${MINE}&limit=1000`)).body.records as typeof own).map(({ seq, type, note }) => ({ seq, type, note }));
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('has rows of the other site between the viewer\'s rows (the setup the leak needs)', () => {
    const steps = own.slice(1).map((r, i) => r.seq - own[i]!.seq);
    expect(steps.filter((s) => s > 1).length).toBeGreaterThanOrEqual(GAPS.length);
  });

  it('finds the position in numeric ids with the same check (so the check can fail)', () => {
    expect(positionFields(own.map((r) => String(r.seq)), own.map((r) => r.seq))).toContain('text:0');
  });

  it('gives a scoped viewer its audit rows without seq, prevHash or hash', async () => {
    const res = await gw.api('/api/audit?limit=1000', { token: viewer });
    expect(res.status).toBe(200);
    expect(res.body.records.map((r: { note: string | null }) => r.note)).toEqual(own.map((r) => r.note));
    for (const r of res.body.records) {
      expect(r).not.toHaveProperty('seq');
      expect(r).not.toHaveProperty('prevHash');
      expect(r).not.toHaveProperty('hash');
    }
    expect(res.body).not.toHaveProperty('nextAfter');
  });

  it('pages a scoped viewer through its own rows with cursors, in order, to a last page', async () => {
    const notes: Array<string | null> = [];
    let cursor: string | null = null;
    for (let i = 0; i <= own.length; i++) {
      const page: { status: number; body: any } = await gw.api(`/api/audit?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token: viewer });
      expect(page.status).toBe(200);
      notes.push(...page.body.records.map((r: { note: string | null }) => r.note));
      cursor = page.body.nextCursor;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(notes).toEqual(own.map((r) => r.note));
  });

  it("gives cursors in which no field steps with the count of the other site's rows", async () => {
    const cursors: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < own.length; i++) {
      const page: { body: any } = await gw.api(`/api/audit?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token: viewer });
      cursor = page.body.nextCursor as string;
      cursors.push(cursor);
    }
    expect(new Set(cursors).size).toBe(own.length);
    expect(positionFields(cursors, own.map((r) => r.seq))).toEqual([]);
    // Nor does any field hold the position itself, cursor after cursor.
    const fields = cursors.map(fieldsOf);
    expect([...fields[0]!.keys()].filter((k) => fields.every((f, i) => f.get(k) === own[i]!.seq))).toEqual([]);
  });

  it('refuses a tampered audit cursor with 400 GW_BAD_CURSOR', async () => {
    const first = (await gw.api('/api/audit?limit=1', { token: viewer })).body.nextCursor as string;
    const res = await gw.api(`/api/audit?limit=1&cursor=${tamper(first)}`, { token: viewer });
    expect([res.status, res.body.error.code]).toEqual([400, 'GW_BAD_CURSOR']);
  });

  it("refuses another viewer's audit cursor, even one of the same sites", async () => {
    const first = (await gw.api('/api/audit?limit=1', { token: viewer })).body.nextCursor as string;
    const res = await gw.api(`/api/audit?limit=1&cursor=${first}`, { token: sameSites });
    expect([res.status, res.body.error.code]).toEqual([400, 'GW_BAD_CURSOR']);
  });

  it('refuses a numeric after= from a scoped viewer with 400 naming cursor=', async () => {
    const res = await gw.api(`/api/audit?after=${own[1]!.seq}`, { token: viewer });
    expect([res.status, res.body.error.code]).toEqual([400, 'GW_BAD_CURSOR']);
    expect(res.body.error.message).toContain('cursor=');
  });

  it('keeps seq, the hashes and a numeric nextAfter for a caller of every site', async () => {
    const page = (await gw.api('/api/audit?limit=2')).body;
    expect(page.records[0]).toMatchObject({ seq: expect.any(Number), prevHash: expect.any(String), hash: expect.any(String) });
    expect(page.nextAfter).toBe(page.records[1].seq);
    const next = (await gw.api(`/api/audit?limit=2&after=${page.nextAfter}`)).body;
    const byCursor = (await gw.api(`/api/audit?limit=2&cursor=${page.nextCursor}`)).body;
    expect(byCursor.records).toEqual(next.records);
  });

  it("shows a scoped viewer an event's transitions without their seq", async () => {
    const mineFor = (await gw.api(`/api/events/${mine}`, { token: viewer })).body;
    expect(mineFor.transitions.map((t: { note: string | null }) => t.note)).toEqual(own.map((r) => r.note));
    for (const t of mineFor.transitions) expect(t).not.toHaveProperty('seq');
    expect((await gw.api(`/api/events/${mine}`)).body.transitions[0].seq).toBe(own[0]!.seq);
  });

  it('answers a scoped operator\'s action with the transition but without its seq', async () => {
    const res = await gw.post(`/api/events/${mine}/comments`, { note: 'operator note' }, operator);
    expect(res.status).toBe(200);
    expect(res.body.transition).toMatchObject({ type: 'commented', note: 'operator note' });
    expect(res.body.transition).not.toHaveProperty('seq');
  });
});

describe('event stream positions for a viewer of one site', () => {
  let gw: TestGateway;
  let viewer: string;
  let sameSites: string;
  let mine: string;
  let chem: string;
  const streams: SseClient[] = [];
  const open = async (token: string, lastEventId?: string | number) => {
    const s = await openSse(`${gw.httpUrl}/api/events/stream`, { token, ...(lastEventId !== undefined ? { lastEventId } : {}) });
    streams.push(s);
    return s;
  };
  /** The seqs of the viewer's event's transitions, as the admin sees them. */
  const seqsOfMine = async () => ((await gw.api(`/api/audit?event=${mine}&limit=1000`)).body.records as Array<{ seq: number }>).map((r) => r.seq);

  beforeAll(async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    viewer = await createUser(gw, 'sse-viewer', 'viewer', [MINE]);
    sameSites = await createUser(gw, 'sse-viewer-2', 'viewer', [MINE]);
    chem = await raise(gw, 'gas-01', { gas_lel: 60 });
    mine = await raise(gw, 'ch4-01', { ch4: 2 });
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await gw?.stop();
  });

  async function interleave(notes: string[]) {
    for (const [i, note] of notes.entries()) {
      for (let k = 0; k < GAPS[i % GAPS.length]!; k++) await gw.post(`/api/events/${chem}/comments`, { note: `chem ${k}` });
      await gw.post(`/api/events/${mine}/comments`, { note });
    }
  }

  it('sends a scoped viewer sealed ids and no seq, in which no field steps with the other site', async () => {
    const live = await open(viewer);
    const notes = ['live 0', 'live 1', 'live 2', 'live 3', 'live 4'];
    await interleave(notes);
    await live.until((m) => m.json?.note === notes.at(-1), 10_000, 'the last comment');
    const got = live.messages.filter((m) => notes.includes(m.json?.note));
    expect(got.map((m) => m.json.note)).toEqual(notes);
    expect(live.messages.every((m) => m.json.event.site === MINE)).toBe(true);
    for (const m of got) {
      expect(m.json).not.toHaveProperty('seq');
      expect(m.id).not.toMatch(/^\d+$/);
    }
    const seqs = (await seqsOfMine()).slice(-notes.length);
    expect(positionFields(got.map((m) => m.id!), seqs)).toEqual([]);
  });

  it('resumes a scoped viewer from its sealed Last-Event-ID with exactly what it missed, in order', async () => {
    const first = await open(viewer);
    await interleave(['before the drop']);
    const seen = await first.until((m) => m.json?.note === 'before the drop', 10_000, 'the comment before the drop');
    first.close();
    await first.ended;
    const missed = ['missed 0', 'missed 1', 'missed 2'];
    await interleave(missed);
    const again = await open(viewer, seen.id!);
    expect(again.status).toBe(200);
    await again.until((m) => m.json?.note === missed.at(-1), 10_000, 'the last missed comment');
    expect(again.messages.map((m) => m.json.note)).toEqual(missed);
  });

  it('refuses a tampered Last-Event-ID with 400 GW_BAD_CURSOR', async () => {
    const s = await open(viewer);
    await interleave(['to tamper with']);
    const m = await s.until((x) => x.json?.note === 'to tamper with', 10_000, 'a comment');
    const refused = await open(viewer, tamper(m.id!));
    expect([refused.status, refused.body.error.code]).toEqual([400, 'GW_BAD_CURSOR']);
  });

  it("refuses another viewer's stream id, even one of the same sites", async () => {
    const s = await open(viewer);
    await interleave(['to borrow']);
    const m = await s.until((x) => x.json?.note === 'to borrow', 10_000, 'a comment');
    const refused = await open(sameSites, m.id!);
    expect([refused.status, refused.body.error.code]).toEqual([400, 'GW_BAD_CURSOR']);
  });

  it('refuses an audit cursor as Last-Event-ID', async () => {
    const cursor = (await gw.api('/api/audit?limit=1', { token: viewer })).body.nextCursor as string;
    const refused = await open(viewer, cursor);
    expect([refused.status, refused.body.error.code]).toEqual([400, 'GW_BAD_CURSOR']);
  });

  it('refuses a numeric Last-Event-ID from a scoped viewer with 400, saying to reconnect without it', async () => {
    const refused = await open(viewer, 0);
    expect([refused.status, refused.body.error.code]).toEqual([400, 'GW_BAD_CURSOR']);
    expect(refused.body.error.message).toContain('without it');
  });

  it('keeps numeric ids with the seq for a caller of every site, and a numeric Last-Event-ID', async () => {
    const admin = await open(TEST_TOKEN);
    await interleave(['for the admin']);
    const m = await admin.until((x) => x.json?.note === 'for the admin', 10_000, 'the comment');
    expect(m.id).toBe(String(m.json.seq));
    const seqs = await seqsOfMine();
    expect(m.json.seq).toBe(seqs.at(-1));
    const resumed = await open(TEST_TOKEN, seqs.at(-2)!);
    await resumed.until((x) => x.json?.note === 'for the admin', 10_000, 'the replayed comment');
  });
});
