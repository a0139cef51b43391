import type { CliContext, Command } from '../context.ts';
import { DaemonError } from '../errors.ts';

interface Step {
  index: number;
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number;
  position: number;
  limitHit: string | null;
  changes: { kind: string; path: string }[];
}

interface SessionData {
  id: string;
  interactive: boolean;
  exitCode: number | null;
  steps: Step[];
}

interface EventNode {
  position: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

const stepFields = 'index command stdout stderr exitCode position limitHit changes { kind path }';
const sessionFields = `id interactive exitCode steps { ${stepFields} }`;

async function streamEvents(ctx: CliContext, stream: string): Promise<EventNode[]> {
  const events: EventNode[] = [];
  let after = 0;
  for (;;) {
    const data = await ctx.api.request<{
      events: { edges: { node: EventNode }[]; pageInfo: { hasNextPage: boolean } };
    }>(
      'query($stream: String!, $after: Position) { events(stream: $stream, after: $after, first: 500) { edges { node { position type data metadata } } pageInfo { hasNextPage } } }',
      { stream, after },
    );
    const nodes = data.events.edges
      .map((e) => e.node)
      .filter((e) => ctx.asOf === undefined || e.position <= ctx.asOf);
    events.push(...nodes);
    const last = data.events.edges.at(-1)?.node.position;
    if (
      !data.events.pageInfo.hasNextPage ||
      last === undefined ||
      (ctx.asOf !== undefined && last >= ctx.asOf)
    )
      return events;
    after = last;
  }
}

const withNewline = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);

/** One step as replay prints it: `[position] $ command`, its output, `exit N` when not 0, its changes. */
export function formatStep(step: Step, prefix = ''): string {
  let text = `[${step.position}] ${prefix}$ ${step.command}\n${withNewline(step.stdout)}${withNewline(step.stderr)}`;
  if (step.limitHit) text += `stopped: ${step.limitHit}\n`;
  if (step.exitCode !== 0) text += `exit ${step.exitCode}\n`;
  for (const change of step.changes) text += `${change.kind} ${change.path}\n`;
  return text;
}

function lifecycleLine(event: EventNode): string | undefined {
  const d = event.data;
  switch (event.type) {
    case 'ContainerCreated':
      return `created ${String(d.name)} from ${String(d.imageReference ?? d.imageId)}${Array.isArray(d.cmd) && d.cmd.length ? ` (command: ${d.cmd.join(' ')})` : ''}`;
    case 'ContainerStarted':
      return 'started';
    case 'ContainerStopped':
      return `stopped (exit ${String(d.exitCode)})`;
    case 'ContainerRestarted':
      return 'restarted';
    case 'ContainerPaused':
      return 'paused';
    case 'ContainerUnpaused':
      return 'unpaused';
    case 'ContainerRemoved':
      return d.force ? 'removed (forced)' : 'removed';
    case 'ContainerPathWritten':
    case 'ContainerPathRemoved':
      // Writes of a session step are shown with the step; others came through the API (writeFile, removePath).
      return event.metadata.sessionId
        ? undefined
        : `${String(d.operation ?? event.type)} ${String(d.path)} (through the API)`;
    default:
      return undefined;
  }
}

async function sessionTimeline(
  ctx: CliContext,
  session: SessionData,
): Promise<{ position: number; text: string }[]> {
  const steps = session.steps.filter((step) => ctx.asOf === undefined || step.position <= ctx.asOf);
  const entries = steps.map((step) => ({
    position: step.position,
    text: formatStep(step, session.interactive ? '' : '(exec) '),
  }));
  if (!session.interactive) return entries;
  for (const event of await streamEvents(ctx, `session-${session.id}`)) {
    if (event.type === 'SessionStarted')
      entries.push({
        position: event.position,
        text: `[${event.position}] session ${session.id} attached\n`,
      });
    if (event.type === 'SessionEnded')
      entries.push({
        position: event.position,
        text: `[${event.position}] session ${session.id} ended: exit ${String(event.data.exitCode)}\n`,
      });
  }
  return entries;
}

export const replay: Command = {
  name: 'replay',
  usage: 'CONTAINER|SESSION',
  description:
    "Replay a container's life (lifecycle, sessions, each command with its output and changes) or one session",
  readOnly: true,
  minArgs: 1,
  maxArgs: 1,
  flags: [],
  async run(ctx, _flags, [ref]) {
    const { container } = await ctx.api.request<{
      container: { containerId: string; sessions: SessionData[] } | null;
    }>(
      `query($ref: String!, $asOf: Position) { container(ref: $ref, asOf: $asOf) { containerId sessions { ${sessionFields} } } }`,
      { ref, asOf: ctx.asOf ?? null },
    );
    let entries: { position: number; text: string }[] = [];
    if (container) {
      for (const event of await streamEvents(ctx, `container-${container.containerId}`)) {
        const text = lifecycleLine(event);
        if (text) entries.push({ position: event.position, text: `[${event.position}] ${text}\n` });
      }
      for (const session of container.sessions) entries.push(...(await sessionTimeline(ctx, session)));
    } else {
      const { session } = await ctx.api.request<{ session: SessionData | null }>(
        `query($id: ID!) { session(id: $id) { ${sessionFields} } }`,
        { id: ref },
      );
      if (!session) throw new DaemonError('NOT_FOUND', `No such container or session: ${ref}`);
      entries = await sessionTimeline(ctx, session);
    }
    entries.sort((a, b) => a.position - b.position);
    for (const entry of entries) ctx.out.write(entry.text);
    return 0;
  },
};
