import type { Kysely } from 'kysely';
import type { SessionEvent } from '../domain/session/events.ts';
import type { ProjectedEvent } from './imageProjection.ts';
import type { ProjectionTables } from './tables.ts';

/** Sessions and their steps; a step's position is its CommandExecuted event's. */
export async function projectSessionEvent(
  db: Kysely<ProjectionTables>,
  { stream, position, event }: ProjectedEvent<SessionEvent>,
) {
  const sessionId = stream.slice('session-'.length);
  switch (event.type) {
    case 'SessionStarted':
      await db
        .insertInto('sessions')
        .values({
          session_id: sessionId,
          container_id: event.data.containerId,
          interactive: event.data.interactive,
          started_at: event.data.startedAt,
          started_position: position,
          ended_at: null,
          ended_position: null,
          exit_code: null,
        })
        .execute();
      return;
    case 'CommandExecuted': {
      const session = await db
        .selectFrom('sessions')
        .select('container_id')
        .where('session_id', '=', sessionId)
        .executeTakeFirstOrThrow();
      const d = event.data;
      await db
        .insertInto('session_steps')
        .values({
          session_id: sessionId,
          idx: d.index,
          container_id: session.container_id,
          command: d.command,
          exit_code: d.exitCode,
          stdout: d.stdout,
          stderr: d.stderr,
          stdout_digest: d.stdoutDigest ?? null,
          stderr_digest: d.stderrDigest ?? null,
          changes: JSON.stringify(d.changes),
          limit_hit: d.limitHit ?? null,
          executed_at: d.executedAt,
          position,
        })
        .execute();
      return;
    }
    case 'SessionEnded':
      await db
        .updateTable('sessions')
        .set({ ended_at: event.data.endedAt, ended_position: position, exit_code: event.data.exitCode })
        .where('session_id', '=', sessionId)
        .execute();
      return;
  }
}
