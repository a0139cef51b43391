import { type Kysely, sql } from 'kysely';

/** Shell sessions and their steps (append-only: a step never changes once recorded). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('session_id', 'text', (c) => c.primaryKey())
    .addColumn('container_id', 'text', (c) => c.notNull())
    .addColumn('interactive', 'boolean', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('started_position', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('ended_position', 'bigint')
    .addColumn('exit_code', 'integer')
    .execute();
  await db.schema
    .createIndex('sessions_container')
    .on('sessions')
    .columns(['container_id', 'started_position'])
    .execute();
  await db.schema
    .createTable('session_steps')
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('container_id', 'text', (c) => c.notNull())
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer', (c) => c.notNull())
    .addColumn('stdout', 'text', (c) => c.notNull())
    .addColumn('stderr', 'text', (c) => c.notNull())
    .addColumn('stdout_digest', 'text')
    .addColumn('stderr_digest', 'text')
    .addColumn('changes', 'jsonb', (c) => c.notNull())
    .addColumn('limit_hit', 'text')
    .addColumn('executed_at', 'text', (c) => c.notNull())
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('session_steps_pk', ['session_id', 'idx'])
    .execute();
  await sql`create index session_steps_container on session_steps (container_id, position)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('session_steps').ifExists().execute();
  await db.schema.dropTable('sessions').ifExists().execute();
}
