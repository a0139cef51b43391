import { isStrataError } from '../domain/errors.ts';

/**
 * `strata <command>`: server-side commands run here; the docker-like client commands talk to a
 * Strata server over GraphQL (STRATA_URL, STRATA_TOKEN), as `docker` talks to dockerd.
 */
const serverCommands: Record<string, () => Promise<void>> = {
  serve: async () => (await import('./serve.ts')).serve(),
  migrate: async () => (await import('./serve.ts')).migrate(),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command && serverCommands[command]) {
    await serverCommands[command]!();
    return 0;
  }
  const { runClientCommand } = await import('./client/run.ts');
  return runClientCommand(command, rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    console.error(isStrataError(error) ? `Error: ${error.message}` : error);
    process.exitCode = 1;
  },
);
