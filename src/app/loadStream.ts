import type { EventLog, ExpectedVersion } from './ports.ts';

/** An aggregate's state folded from its stream, and the version to expect when appending. */
export interface Loaded<State> {
  state: State;
  version: number;
  expectedVersion: ExpectedVersion;
}

export async function loadStream<State, Event>(
  log: EventLog,
  stream: string,
  evolve: (state: State, event: Event) => State,
  initial: () => State,
): Promise<Loaded<State>> {
  const events = await log.readStream(stream);
  let state = initial();
  for (const event of events) state = evolve(state, { type: event.type, data: event.data } as Event);
  const version = events.at(-1)?.version ?? 0;
  return { state, version, expectedVersion: version === 0 ? 'no_stream' : version };
}
