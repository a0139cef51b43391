/**
 * The application services the API and the CLI call: command handlers and read-model queries.
 * Filled in as the command handlers and projections land; GraphQL resolvers reach them as `ctx.app`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: members are added as the services are written.
export interface AppServices {}
