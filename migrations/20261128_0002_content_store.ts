import { type Kysely, sql } from 'kysely';

/**
 * Content store: immutable, content-addressed blobs (sha256), deduplicated, stored as bytea chunks.
 * Chunks are written first under a fresh blob_id; the blob row (digest → blob_id) is inserted last,
 * so a blob is visible only once complete. Frozen: never edit after it has shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of [
    'create sequence content_blob_id_seq as bigint minvalue 1',
    `create table content_blobs (
       digest text primary key check (digest ~ '^sha256:[0-9a-f]{64}$'),
       blob_id bigint not null unique,
       size bigint not null check (size >= 0),
       chunk_size integer not null check (chunk_size > 0),
       chunk_count integer not null check (chunk_count >= 0),
       created_at timestamptz not null default now()
     )`,
    `create table content_chunks (
       blob_id bigint not null,
       idx integer not null,
       data bytea not null,
       primary key (blob_id, idx)
     )`,
  ]) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of [
    'drop table if exists content_chunks',
    'drop table if exists content_blobs',
    'drop sequence if exists content_blob_id_seq',
  ]) {
    await sql.raw(statement).execute(db);
  }
}
