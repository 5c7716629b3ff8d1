import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** A position in the journal: segment number and byte offset in it. */
export interface JournalPos {
  segment: number;
  offset: number;
}

export interface JournalOptions {
  /** A new segment file starts when the active one reaches this size (default 64 MiB). */
  segmentBytes?: number;
}

export interface Backlog {
  /** Lines appended but not yet forwarded. */
  points: number;
  bytes: number;
  /** Append time of the oldest line not yet forwarded (ms), null when empty. */
  oldestAt: number | null;
}

const SEGMENT = /^(\d{10})\.lp$/;
const segName = (n: number) => `${String(n).padStart(10, '0')}.lp`;
const NEWLINE = 0x0a;

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE); i !== -1; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

export type Journal = Awaited<ReturnType<typeof openJournal>>;

/**
 * The durable outbox: an append-only log of line-protocol lines in numbered segment files.
 * Appends are group-committed (one write and one fdatasync for every append made while the
 * previous commit ran), so a caller that awaits append() knows its lines survive a crash.
 * The forwarder reads from the committed cursor and advances it as InfluxDB accepts lines.
 */
export async function openJournal(dir: string, opts: JournalOptions = {}, clock: () => number = Date.now) {
  const segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
  mkdirSync(dir, { recursive: true });
  const cursorFile = join(dir, 'cursor.json');

  const segments = readdirSync(dir)
    .map((f) => SEGMENT.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);

  let cursor: JournalPos = { segment: segments[0] ?? 1, offset: 0 };
  if (existsSync(cursorFile)) {
    try {
      const c = JSON.parse(readFileSync(cursorFile, 'utf8')) as JournalPos;
      if (Number.isInteger(c.segment) && Number.isInteger(c.offset)) cursor = c;
    } catch {
      // A torn cursor file only means lines are sent again, which InfluxDB stores once.
    }
  }
  let activeNo = segments.at(-1) ?? cursor.segment;
  const activePath = () => join(dir, segName(activeNo));

  // A crash can leave a partly written last line that was never acknowledged: cut it off.
  if (existsSync(activePath())) {
    const fd = openSync(activePath(), 'r+');
    const size = fstatSync(fd).size;
    if (size > 0) {
      const tail = Buffer.alloc(Math.min(size, 64 * 1024));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      const lastNl = tail.lastIndexOf(NEWLINE);
      const keep = lastNl === -1 ? size - tail.length : size - tail.length + lastNl + 1;
      if (keep !== size) ftruncateSync(fd, keep);
    }
    closeSync(fd);
  }

  // Backlog accounting: scan what lies between the cursor and the end once, at open.
  let backlogPoints = 0;
  let backlogBytes = 0;
  for (const n of segments.filter((s) => s >= cursor.segment)) {
    const buf = readFileSync(join(dir, segName(n)));
    const from = n === cursor.segment ? Math.min(cursor.offset, buf.length) : 0;
    backlogPoints += countLines(buf.subarray(from));
    backlogBytes += buf.length - from;
  }
  // (end offset of a commit group, its time): trimmed as the cursor passes it, for "age of the oldest".
  const marks: Array<{ segment: number; end: number; at: number }> = [];
  if (backlogBytes > 0) {
    const first = segments.find((s) => s >= cursor.segment) ?? activeNo;
    const activeSizeAtOpen = existsSync(activePath()) ? statSync(activePath()).size : 0;
    marks.push({ segment: activeNo, end: activeSizeAtOpen, at: statSync(join(dir, segName(first))).mtimeMs });
  }

  // Bytes ever appended since open, counting the backlog found at open: minus the backlog, it
  // is how many bytes were forwarded (the journal is forwarded in order), which lets a caller
  // tell when a given append has left (the pipeline's per-device share).
  let appendedBytes = backlogBytes;

  let fh: FileHandle = await open(activePath(), 'a');
  let activeSize = (await fh.stat()).size;
  let pending: Buffer[] = [];
  let pendingLines = 0;
  let pendingBytes = 0;
  let waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  let committing: Promise<void> | null = null;
  let closed = false;
  const listeners = new Set<() => void>();
  let cursorTimer: NodeJS.Timeout | undefined;

  function saveCursor() {
    clearTimeout(cursorTimer);
    cursorTimer = undefined;
    const tmp = `${cursorFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(cursor));
    renameSync(tmp, cursorFile);
  }
  function saveCursorSoon() {
    cursorTimer ??= setTimeout(saveCursor, 200);
  }

  async function commitLoop(): Promise<void> {
    while (pending.length) {
      const buf = Buffer.concat(pending);
      const lines = pendingLines;
      const done = waiters;
      pending = [];
      pendingLines = 0;
      pendingBytes = 0;
      waiters = [];
      try {
        if (activeSize > 0 && activeSize + buf.length > segmentBytes) {
          await fh.datasync();
          await fh.close();
          const next = activeNo + 1;
          const nextFh = await open(join(dir, segName(next)), 'a');
          // The segment number and its size change together: a read in between once paired the
          // new, empty segment with the old one's size and scanned zeros for a line end.
          fh = nextFh;
          activeNo = next;
          activeSize = 0;
        }
        await fh.write(buf);
        await fh.datasync();
        activeSize += buf.length;
        backlogPoints += lines;
        backlogBytes += buf.length;
        marks.push({ segment: activeNo, end: activeSize, at: clock() });
        for (const w of done) w.resolve();
        for (const l of listeners) l();
      } catch (err) {
        for (const w of done) w.reject(err as Error);
      }
    }
    committing = null;
  }

  function schedule() {
    // setImmediate gathers every append made in this turn of the event loop into one commit.
    committing ??= new Promise<void>((r) => setImmediate(r)).then(commitLoop);
  }

  return {
    /** Appends lines; the promise resolves once they are on disk (fdatasync). */
    append(lines: readonly string[]): Promise<void> {
      if (closed) return Promise.reject(new Error('journal is closed'));
      if (lines.length === 0) return Promise.resolve();
      const buf = Buffer.from(lines.join('\n') + '\n');
      pending.push(buf);
      pendingLines += lines.length;
      pendingBytes += buf.length;
      appendedBytes += buf.length;
      const p = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      schedule();
      return p;
    },

    /** Reads up to maxBytes of whole lines from a position; null when there is nothing past it. */
    read(pos: JournalPos, maxBytes: number): { lines: string[]; bytes: number; next: JournalPos } | null {
      let { segment, offset } = pos;
      for (;;) {
        const path = join(dir, segName(segment));
        const size = segment === activeNo ? activeSize : existsSync(path) ? statSync(path).size : -1;
        if (size === -1) {
          if (segment >= activeNo) return null;
          segment++;
          offset = 0;
          continue;
        }
        if (offset >= size) {
          if (segment >= activeNo) return null;
          segment++;
          offset = 0;
          continue;
        }
        const len = Math.min(maxBytes, size - offset);
        const buf = Buffer.alloc(len);
        const fd = openSync(path, 'r');
        let got: number;
        try {
          got = readSync(fd, buf, 0, len, offset);
        } finally {
          closeSync(fd);
        }
        let end = got > 0 ? buf.lastIndexOf(NEWLINE, got - 1) : -1;
        if (end === -1) {
          // A single line longer than maxBytes: read more of it. Nothing more to read: no whole
          // line is there yet (never for committed bytes), so nothing to forward now.
          if (got === len && len < size - offset) {
            maxBytes = Math.min(size - offset, maxBytes * 2);
            continue;
          }
          return null;
        }
        end += 1;
        const text = buf.subarray(0, end).toString('utf8');
        return { lines: text.slice(0, -1).split('\n'), bytes: end, next: { segment, offset: offset + end } };
      }
    },

    cursor: (): JournalPos => ({ ...cursor }),

    /**
     * Records that everything before `pos` reached InfluxDB; drops segments wholly behind it.
     * The cursor file is saved at most every 200 ms, off the hot path: losing the latest save
     * in a crash only means a few lines are sent again, and InfluxDB stores each point once.
     */
    advance(pos: JournalPos, lines: number, bytes: number): void {
      const leftSegment = pos.segment !== cursor.segment;
      cursor = { ...pos };
      backlogPoints = Math.max(0, backlogPoints - lines);
      backlogBytes = Math.max(0, backlogBytes - bytes);
      if (backlogPoints === 0) marks.length = 0;
      while (marks.length && (marks[0]!.segment < cursor.segment || (marks[0]!.segment === cursor.segment && marks[0]!.end <= cursor.offset))) marks.shift();
      if (leftSegment) {
        saveCursor();
        for (const f of readdirSync(dir)) {
          const m = SEGMENT.exec(f);
          if (m && Number(m[1]) < cursor.segment) rmSync(join(dir, f), { force: true });
        }
      } else {
        saveCursorSoon();
      }
    },

    /** What waits for InfluxDB, including appends not yet committed (so a cap holds within a burst). */
    backlog(): Backlog {
      const points = backlogPoints + pendingLines;
      return { points, bytes: backlogBytes + pendingBytes, oldestAt: points > 0 ? (marks[0]?.at ?? clock()) : null };
    },

    /** backlog().bytes without building the object: the pipeline asks it for every message. */
    waitingBytes: (): number => backlogBytes + pendingBytes,

    /** Bytes appended since open (with the backlog found at open); grows by each append at once. */
    appended: (): number => appendedBytes,

    /** Called after each commit: the forwarder wakes up on it. */
    onCommit(l: () => void): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },

    /** Waits for appends in progress, then closes the active segment. */
    async close(): Promise<void> {
      closed = true;
      while (committing) await committing;
      if (cursorTimer) saveCursor();
      await fh.close();
    },
  };
}
