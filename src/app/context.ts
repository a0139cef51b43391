import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { Blobs, CommandMetadata, EventLog } from './ports.ts';

/** What every command handler works with: the stores, the read models' database, a clock. */
export interface AppContext {
  db: Db;
  log: EventLog;
  blobs: Blobs;
  now(): string;
}

/** Metadata for one command; `sessionId`/`command` mark writes made by a shell session step. */
export const commandMetadata = (extra: Partial<CommandMetadata> = {}): CommandMetadata => ({
  correlationId: randomUUID(),
  ...extra,
});
