import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EventState } from '../events/index.js';
import type { StateDb } from '../storage/index.js';
import { randomBase32 } from './random.js';

// Complaints and whistle-blower reports (吹哨人) sent through a site's code. What the sender
// wrote goes to the department as a supervision event; the contact, when given, stays in this
// table and is shown only to signed-in staff who may see the event. The sender keeps a
// tracking code; only its SHA-256 is stored, so the table cannot be walked back to senders.

export const COMPLAINT_CATEGORIES = ['safety', 'environment', 'food', 'conduct', 'other'] as const;
export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];

export const CATEGORY_ZH: Record<ComplaintCategory, string> = {
  safety: '安全隐患',
  environment: '环境污染',
  food: '食品安全',
  conduct: '执法作风',
  other: '其他',
};

/** Department preferred for a category, when the site has it (otherwise the site's first). */
export const CATEGORY_DEPARTMENT: Partial<Record<ComplaintCategory, string>> = {
  safety: 'Emergency Management Bureau',
  environment: 'Ecology and Environment Bureau',
  food: 'Market Supervision Administration',
};

export const MAX_COMPLAINT_PICTURES = 3;

export const complaintSchema = z
  .object({
    siteCode: z.string().min(1).max(64),
    category: z.enum(COMPLAINT_CATEGORIES),
    description: z.string().trim().min(5, 'please describe what you saw (5 characters at least)').max(2000),
    /** Optional: phone or e-mail for the department to call back. Never shown publicly or logged. */
    contact: z
      .string()
      .trim()
      .max(200)
      .optional()
      .transform((s) => (s === '' ? undefined : s)),
  })
  .strict();
export type ComplaintInput = z.output<typeof complaintSchema>;

/** What a tracking code tells: the state, in words anyone reads, and the day it was received. */
export const PUBLIC_STATES = ['received', 'in_progress', 'handled', 'closed'] as const;
export type PublicState = (typeof PUBLIC_STATES)[number];
export const PUBLIC_STATE_ZH: Record<PublicState, string> = { received: '已受理', in_progress: '处理中', handled: '已处理', closed: '已办结' };

export function publicState(s: EventState): PublicState {
  if (s === 'open') return 'received';
  if (s === 'acknowledged') return 'in_progress';
  if (s === 'resolved') return 'handled';
  return 'closed';
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS complaints (
    id TEXT PRIMARY KEY,
    tracking_hash TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    event_id TEXT,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    contact TEXT,
    pictures TEXT,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS complaints_event ON complaints (event_id);`;

interface ComplaintRow {
  id: string;
  tracking_hash: string;
  site: string;
  event_id: string | null;
  category: ComplaintCategory;
  description: string;
  contact: string | null;
  pictures: string | null;
  received_at: number;
}

export interface Complaint {
  id: string;
  site: string;
  eventId: string | null;
  category: ComplaintCategory;
  description: string;
  contact: string | null;
  pictures: string[];
  receivedAt: number;
}

const toComplaint = (r: ComplaintRow): Complaint => ({
  id: r.id,
  site: r.site,
  eventId: r.event_id,
  category: r.category,
  description: r.description,
  contact: r.contact,
  pictures: r.pictures ? (JSON.parse(r.pictures) as string[]) : [],
  receivedAt: r.received_at,
});

const hashTracking = (code: string) => createHash('sha256').update(code).digest('hex');

export type ComplaintStore = ReturnType<typeof createComplaintStore>;

export function createComplaintStore(db: StateDb) {
  db.exec(SCHEMA);
  const q = {
    insert: db.prepare(`INSERT INTO complaints (id, tracking_hash, site, category, description, contact, pictures, received_at)
      VALUES (@id, @trackingHash, @site, @category, @description, @contact, @pictures, @at)`),
    setEvent: db.prepare('UPDATE complaints SET event_id = ? WHERE id = ?'),
    byTracking: db.prepare('SELECT * FROM complaints WHERE tracking_hash = ?'),
    byEvent: db.prepare('SELECT * FROM complaints WHERE event_id = ?'),
  };
  return {
    /** Stores a complaint; returns its id and the tracking code (given out once, never stored). */
    add(site: string, input: ComplaintInput, pictures: readonly string[], at: number): { id: string; trackingCode: string } {
      const id = `cmp-${randomBytes(8).toString('hex')}`;
      const trackingCode = randomBase32(20);
      q.insert.run({ id, trackingHash: hashTracking(trackingCode), site, category: input.category, description: input.description, contact: input.contact ?? null, pictures: pictures.length ? JSON.stringify(pictures) : null, at });
      return { id, trackingCode };
    },
    linkEvent: (id: string, eventId: string) => void q.setEvent.run(eventId, id),
    byTracking(code: string): Complaint | undefined {
      const r = q.byTracking.get(hashTracking(code)) as ComplaintRow | undefined;
      return r ? toComplaint(r) : undefined;
    },
    byEvent(eventId: string): Complaint | undefined {
      const r = q.byEvent.get(eventId) as ComplaintRow | undefined;
      return r ? toComplaint(r) : undefined;
    },
  };
}
