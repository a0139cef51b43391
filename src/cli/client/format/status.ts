import { humanDuration } from './units.ts';

export interface ContainerStatusFields {
  state: string;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

const since = (iso: string | null, now: number) =>
  humanDuration(Math.max(0, now - (iso ? Date.parse(iso) : now)));

/** moby's State.String(): `Up 2 minutes`, `Exited (0) 3 seconds ago`, `Created`, … */
export function containerStatus(c: ContainerStatusFields, now: number): string {
  switch (c.state) {
    case 'RUNNING':
      return `Up ${since(c.startedAt, now)}`;
    case 'PAUSED':
      return `Up ${since(c.startedAt, now)} (Paused)`;
    case 'RESTARTING':
      return `Restarting (${c.exitCode ?? 0}) ${since(c.finishedAt, now)} ago`;
    case 'REMOVING':
      return 'Removal In Progress';
    case 'DEAD':
      return 'Dead';
    case 'CREATED':
      return 'Created';
    default:
      return c.finishedAt ? `Exited (${c.exitCode ?? 0}) ${since(c.finishedAt, now)} ago` : '';
  }
}

/** The `State` docker's API and `--format json` use: `running`, `exited`, … */
export const dockerState = (state: string) => state.toLowerCase();
