/** The docker-like client commands (filled in by src/cli/client/*). */
export async function runClientCommand(command: string | undefined, _args: string[]): Promise<number> {
  if (command === undefined || command === 'help' || command === '--help') {
    console.log('Usage: strata COMMAND\n\nCommands:\n  serve     Start the Strata server (GraphQL API and playground)\n  migrate   Apply database migrations');
    return 0;
  }
  console.error(`strata: '${command}' is not a strata command.\nSee 'strata --help'`);
  return 1;
}
