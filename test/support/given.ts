import { expect } from 'vitest';
import type { Decider } from '../../src/domain/decider.ts';
import { type ErrorCode, StrataError } from '../../src/domain/errors.ts';

/**
 * Decider specifications in the given/when/then style:
 *
 *   const given = specFor(containerDecider);
 *   given([created, started]).when(stop).then([stopped]);
 *   given([created]).when(pause).thenThrows('CONFLICT', /is not running/);
 *
 * `given` folds the events with the decider's evolve from its initial state (or starts from a
 * state built by hand with `givenState`, for states no event sequence reaches yet).
 */
export function specFor<Command, Event, State>(decider: Decider<Command, Event, State>) {
  const from = (state: State) => ({
    when: (command: Command) => new Outcome(decider, state, command),
  });
  const given = (events: readonly Event[] = []) =>
    from(events.reduce(decider.evolve, decider.initialState()));
  return Object.assign(given, { givenState: from });
}

class Outcome<Command, Event, State> {
  constructor(
    private readonly decider: Decider<Command, Event, State>,
    private readonly state: State,
    private readonly command: Command,
  ) {}

  /** Asserts the exact events decided (in order) and returns the state they lead to. */
  // biome-ignore lint/suspicious/noThenProperty: the given/when/then vocabulary; an Outcome is never awaited.
  then(expected: readonly Event[]): State {
    const events = this.decider.decide(this.command, this.state);
    expect(events).toEqual(expected);
    return events.reduce(this.decider.evolve, this.state);
  }

  thenNothing(): State {
    return this.then([]);
  }

  /** Asserts on the decided events with a callback (for long or partly computed outputs). */
  thenEvents(check: (events: Event[]) => void): State {
    const events = this.decider.decide(this.command, this.state);
    check(events);
    return events.reduce(this.decider.evolve, this.state);
  }

  thenThrows(code: ErrorCode, message?: string | RegExp): StrataError {
    let caught: unknown;
    try {
      this.decider.decide(this.command, this.state);
    } catch (error) {
      caught = error;
    }
    expect(caught, 'decide should have thrown').toBeInstanceOf(StrataError);
    const error = caught as StrataError;
    expect(error.code).toBe(code);
    if (typeof message === 'string') expect(error.message).toBe(message);
    else if (message) expect(error.message).toMatch(message);
    return error;
  }
}
