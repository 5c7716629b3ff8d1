import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openJournal } from '../../../gateway/src/storage/index.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'journal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the outbox journal', () => {
  it('reads only whole committed lines, never an error, while appends roll over into new segments', async () => {
    const j = await openJournal(tempDir(), { segmentBytes: 256 });
    const sent: string[] = [];
    const forwarded: string[] = [];
    let failures = 0;
    // A forwarder reading on every turn of the event loop, as appends rotate segments under it.
    let reading = true;
    const reader = (async () => {
      while (reading) {
        try {
          const chunk = j.read(j.cursor(), 64);
          if (chunk) {
            forwarded.push(...chunk.lines);
            j.advance(chunk.next, chunk.lines.length, chunk.bytes);
          }
        } catch {
          failures++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 200; i++) {
      const line = `telemetry,device=d${i % 7} v=${i} ${1764000000000 + i}`;
      sent.push(line);
      await j.append([line]);
    }
    for (let k = 0; k < 100 && forwarded.length < sent.length; k++) await new Promise((r) => setImmediate(r));
    reading = false;
    await reader;
    expect(failures).toBe(0);
    expect(forwarded).toEqual(sent);
    await j.close();
  });

  it('reads back appended lines in order from the cursor', async () => {
    const j = await openJournal(tempDir());
    await j.append(['a 1', 'b 2']);
    await j.append(['c 3']);
    const chunk = j.read(j.cursor(), 1024);
    expect(chunk?.lines).toEqual(['a 1', 'b 2', 'c 3']);
    await j.close();
  });

  it('counts the backlog until the cursor passes it', async () => {
    const j = await openJournal(tempDir());
    await j.append(['a 1', 'b 2']);
    expect(j.backlog()).toMatchObject({ points: 2, bytes: 8 });
    const chunk = j.read(j.cursor(), 1024)!;
    j.advance(chunk.next, chunk.lines.length, chunk.bytes);
    expect(j.backlog()).toEqual({ points: 0, bytes: 0, oldestAt: null });
    expect(j.read(j.cursor(), 1024)).toBeNull();
    await j.close();
  });

  it('resumes after a reopen from the saved cursor, without the lines already forwarded', async () => {
    const dir = tempDir();
    const j = await openJournal(dir);
    await j.append(['a 1', 'b 2']);
    const first = j.read(j.cursor(), 4)!;
    expect(first.lines).toEqual(['a 1']);
    j.advance(first.next, 1, first.bytes);
    await j.append(['c 3']);
    await j.close();
    const again = await openJournal(dir);
    expect(again.backlog().points).toBe(2);
    expect(again.read(again.cursor(), 1024)?.lines).toEqual(['b 2', 'c 3']);
    await again.close();
  });

  it('cuts off a partly written last line left by a crash', async () => {
    const dir = tempDir();
    const j = await openJournal(dir);
    await j.append(['a 1']);
    await j.close();
    const [segment] = readdirSync(dir).filter((f) => f.endsWith('.lp'));
    appendFileSync(join(dir, segment!), 'torn li');
    const again = await openJournal(dir);
    expect(again.read(again.cursor(), 1024)?.lines).toEqual(['a 1']);
    await again.append(['b 2']);
    expect(again.read(again.cursor(), 1024)?.lines).toEqual(['a 1', 'b 2']);
    await again.close();
  });

  it('starts new segments at the size limit and deletes those wholly forwarded', async () => {
    const dir = tempDir();
    const j = await openJournal(dir, { segmentBytes: 16 });
    for (let i = 0; i < 6; i++) await j.append([`line ${i}`]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lp')).length).toBeGreaterThan(2);
    let chunk;
    const seen: string[] = [];
    while ((chunk = j.read(j.cursor(), 1024))) {
      seen.push(...chunk.lines);
      j.advance(chunk.next, chunk.lines.length, chunk.bytes);
    }
    expect(seen).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lp')).length).toBe(1);
    await j.close();
  });

  it('commits appends made in the same turn together, resolving each', async () => {
    const j = await openJournal(tempDir());
    await Promise.all([j.append(['a 1']), j.append(['b 2']), j.append(['c 3'])]);
    expect(j.read(j.cursor(), 1024)?.lines).toEqual(['a 1', 'b 2', 'c 3']);
    await j.close();
  });
});
