/**
 * What GraphiQL (GET /graphql in a browser) opens with when the browser has no saved tabs.
 * The Docker story (pull, create, start, exec, diff, commit, time travel) replaces this as the
 * domain types land.
 */
export const defaultQuery = `# Welcome to Strata: Docker images and containers as event-sourced layered filesystems.
# Run with the ▶ button (or Ctrl-Enter). The Docs panel lists every type and field.
# With access tokens configured, add a header: {"Authorization": "Bearer <token>"}

query ServerInfo {
  serverInfo {
    version
    backend
  }
}
`;
