// @ts-check
/**
 * The replay timeline, built from what the public API returns: the steps of the container's
 * sessions, and the container stream's other events (created, started, writes made outside a
 * session, stopped, removed, …) grouped by the command that appended them (their correlation id).
 * Pure: no DOM, no fetch.
 */

/**
 * @typedef {import('./api.js').Change} Change
 * @typedef {import('./api.js').Step} Step
 * @typedef {import('./api.js').ContainerInfo} ContainerInfo
 * @typedef {import('./api.js').StoreEvent} StoreEvent
 * @typedef {{
 *   key: string,
 *   kind: 'step' | 'event' | 'start' | 'end',
 *   position: number,
 *   label: string,
 *   time: string | null,
 *   step?: Step,
 *   sessionId?: string,
 *   interactive?: boolean,
 *   events: StoreEvent[],
 *   exitCode?: number | null,
 * }} Point
 */

const fsTypes = new Set(['ContainerPathWritten', 'ContainerPathRemoved', 'ContainerDirectoryOpaqued']);

/** @param {StoreEvent} event */
export const isFsEvent = (event) => fsTypes.has(event.type);

/**
 * A file event a session step made: the step (CommandExecuted, appended with them) stands for it.
 * @param {StoreEvent} event
 */
const isStepEvent = (event) =>
  Boolean(event.metadata?.sessionId) && typeof event.metadata?.command === 'string';

/** @param {string} digest */
const shortDigest = (digest) => digest.replace(/^sha256:/, '').slice(0, 12);

/**
 * @param {StoreEvent} event
 * @returns {string}
 */
export function describeEvent(event) {
  const data = event.data ?? {};
  switch (event.type) {
    case 'ContainerCreated':
      return `created from ${data.imageReference ?? shortDigest(String(data.imageId ?? ''))}`;
    case 'ContainerStarted':
      return 'started';
    case 'ContainerStopped':
      return `stopped (exit ${data.exitCode})`;
    case 'ContainerRestarted':
      return 'restarted';
    case 'ContainerPaused':
      return 'paused';
    case 'ContainerUnpaused':
      return 'unpaused';
    case 'ContainerRemoved':
      return data.force ? 'removed (forced)' : 'removed';
    case 'ContainerPathWritten':
      return `${data.operation ?? 'write'} ${data.path}`;
    case 'ContainerPathRemoved':
      return `${data.operation ?? 'remove'} ${data.path}`;
    case 'ContainerDirectoryOpaqued':
      return `opaque ${data.path}`;
    default:
      return event.type;
  }
}

/**
 * One label for the events one command appended: lifecycle events by name, file events by the
 * last one (the target; parents and copy-ups come first) and how many more paths there are.
 * @param {StoreEvent[]} events
 */
export function describeGroup(events) {
  const parts = events.filter((e) => !isFsEvent(e)).map(describeEvent);
  const fs = events.filter(isFsEvent);
  const last = fs[fs.length - 1];
  if (last)
    parts.push(fs.length > 1 ? `${describeEvent(last)} (+${fs.length - 1} more)` : describeEvent(last));
  return parts.join(', ');
}

/**
 * @param {ContainerInfo} container
 * @param {StoreEvent[]} events the container stream, oldest first
 * @returns {Point[]} in position order
 */
export function containerTimeline(container, events) {
  /** @type {Map<string, StoreEvent[]>} */
  const groups = new Map();
  for (const event of events) {
    if (isStepEvent(event)) continue;
    const key = event.metadata?.correlationId ? `c:${event.metadata.correlationId}` : `p:${event.position}`;
    const group = groups.get(key);
    if (group) group.push(event);
    else groups.set(key, [event]);
  }
  /** @type {Point[]} */
  const points = [];
  for (const group of groups.values()) {
    const last = /** @type {StoreEvent} */ (group[group.length - 1]);
    points.push({
      key: `e${last.position}`,
      kind: 'event',
      position: last.position,
      label: describeGroup(group),
      time: last.recordedAt,
      events: group,
      sessionId: group.find((e) => e.metadata?.sessionId)?.metadata.sessionId,
    });
  }
  for (const session of container.sessions) {
    for (const step of session.steps) {
      points.push({
        key: `s${step.position}`,
        kind: 'step',
        position: step.position,
        label: step.command,
        time: step.executedAt,
        step,
        sessionId: session.id,
        interactive: session.interactive,
        events: [],
      });
    }
  }
  return points.sort((a, b) => a.position - b.position);
}

/**
 * One session: the state just before it, each of its steps, and its end (exit code, and the
 * container stopping when the shell's exit stopped it).
 * @param {Point[]} containerPoints
 * @param {{ id: string, interactive: boolean, exitCode: number | null }} session
 * @param {StoreEvent[]} sessionEvents the session stream, oldest first
 * @param {StoreEvent[]} containerEvents the container stream, oldest first
 * @returns {Point[]}
 */
export function sessionTimeline(containerPoints, session, sessionEvents, containerEvents) {
  const own = containerEvents.filter((e) => e.metadata?.sessionId === session.id);
  const started = sessionEvents.find((e) => e.type === 'SessionStarted');
  const ended = sessionEvents.find((e) => e.type === 'SessionEnded');
  const steps = containerPoints.filter((p) => p.kind === 'step' && p.sessionId === session.id);
  const firstPositions = [
    ...(started ? [started.position] : []),
    ...own.map((e) => e.position),
    ...steps.map((p) => p.position),
  ];
  const first = firstPositions.length > 0 ? Math.min(...firstPositions) : 1;
  /** @type {Point[]} */
  const points = [
    {
      key: 'start',
      kind: 'start',
      position: Math.max(0, first - 1),
      label: session.interactive ? 'before the session (shell attached)' : 'before the command',
      time: started?.recordedAt ?? null,
      sessionId: session.id,
      interactive: session.interactive,
      events: started ? [started] : [],
    },
    ...steps,
  ];
  if (ended) {
    const stopped = own.filter((e) => !isStepEvent(e));
    const last = Math.max(ended.position, ...stopped.map((e) => e.position));
    const lastStep = steps[steps.length - 1];
    if (!lastStep || last > lastStep.position) {
      const exitCode = ended.data?.exitCode ?? session.exitCode;
      points.push({
        key: 'end',
        kind: 'end',
        position: last,
        label: [`exit ${exitCode}`, ...stopped.map(describeEvent)].join(', '),
        time: ended.recordedAt,
        sessionId: session.id,
        interactive: session.interactive,
        events: [ended, ...stopped],
        exitCode,
      });
    }
  }
  return points;
}

/**
 * The point showing the state as of `position`: the last one at or before it (the first when
 * `position` precedes them all).
 * @param {Point[]} points
 * @param {number} position
 */
export function indexAtPosition(points, position) {
  let found = 0;
  points.forEach((point, i) => {
    if (point.position <= position) found = i;
  });
  return found;
}

/**
 * The paths a group of file events touched, in order of first appearance.
 * @param {StoreEvent[]} events
 */
export function touchedPaths(events) {
  return [...new Set(events.filter(isFsEvent).map((e) => String(e.data.path)))];
}

/**
 * `docker diff`-style changes of a group of file events against the state before them: a removed
 * path that existed is D, a written path is C when it existed before and A otherwise.
 * @param {StoreEvent[]} events
 * @param {Set<string>} existedBefore
 * @returns {Change[]}
 */
export function changesOfEvents(events, existedBefore) {
  /** @type {Map<string, 'written' | 'removed'>} */
  const last = new Map();
  for (const event of events) {
    const path = String(event.data?.path);
    if (event.type === 'ContainerPathWritten' || event.type === 'ContainerDirectoryOpaqued') {
      last.set(path, 'written');
    } else if (event.type === 'ContainerPathRemoved') {
      for (const other of [...last.keys()]) if (other.startsWith(`${path}/`)) last.delete(other);
      last.set(path, 'removed');
    }
  }
  /** @type {Change[]} */
  const changes = [];
  for (const [path, what] of last) {
    if (what === 'removed') {
      if (existedBefore.has(path)) changes.push({ kind: 'D', path });
    } else changes.push({ kind: existedBefore.has(path) ? 'C' : 'A', path });
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
