// The durable outbox: every line for InfluxDB is journaled (group commit + fdatasync) before
// the device is acknowledged, then forwarded oldest first; nothing accepted is lost.
export { openJournal, type Journal, type JournalPos, type Backlog, type JournalOptions } from './journal.js';
export { createForwarder, type Forwarder, type ForwarderOptions } from './forwarder.js';
