// @ts-check
/**
 * The replay page's only way to the server: the public GraphQL API at /graphql (same origin),
 * with the access token kept in sessionStorage, if the server asks for one.
 */

export const graphqlUrl = '/graphql';
const tokenKey = 'strata.replay.token';
/** Entries per `files` page: well under the default complexity limit with the fields below. */
const filesPageSize = 500;
/** At most this many entries of one tree are shown (the rest is reported as left out). */
export const maxTreeEntries = 5000;
const eventsPageSize = 500;

/**
 * @typedef {{ kind: 'A' | 'C' | 'D', path: string }} Change
 * @typedef {{ index: number, command: string, exitCode: number, limitHit: string | null, executedAt: string,
 *   position: number, changes: Change[] }} Step
 * @typedef {{ id: string, interactive: boolean, exitCode: number | null, steps: Step[] }} Session
 * @typedef {{ containerId: string, name: string, state: string, created: string,
 *   image: { repoTags: string[], imageId: string }, sessions: Session[] }} ContainerInfo
 * @typedef {{ position: number, type: string, stream: string, recordedAt: string,
 *   data: any, metadata: any }} StoreEvent
 * @typedef {{ path: string, type: string, size: number, linkTarget: string | null }} Entry
 * @typedef {{ state: string | null, entries: Entry[], truncated: boolean }} Tree
 * @typedef {{ path: string, type: string, size: number, mode: number, linkTarget: string | null,
 *   content: string | null, origin: { position: number, command: string | null, operation: string | null,
 *   layer: { diffId: string } | null } }} FileView
 */

export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {string | undefined} code
   */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export function storedToken() {
  try {
    return sessionStorage.getItem(tokenKey) ?? '';
  } catch {
    return '';
  }
}

/** @param {string} token */
export function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(tokenKey, token);
    else sessionStorage.removeItem(tokenKey);
  } catch {
    // Storage refused (privacy mode): the token is simply not kept.
  }
}

/**
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @returns {Promise<any>}
 */
export async function gql(query, variables = {}) {
  /** @type {Record<string, string>} */
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  };
  const token = storedToken().trim();
  if (token) headers.authorization = /^bearer\s/i.test(token) ? token : `Bearer ${token}`;
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  /** @type {any} */
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered HTTP ${response.status} without a GraphQL response`, undefined);
  }
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    const [first] = body.errors;
    throw new ApiError(
      body.errors.map((/** @type {any} */ e) => e.message).join('; '),
      first.extensions?.code,
    );
  }
  if (!response.ok && !body.data) throw new ApiError(`HTTP ${response.status}`, undefined);
  return body.data;
}

const stepFields = 'index command exitCode limitHit executedAt position changes { kind path }';
const containerFields = `containerId name state created image { repoTags imageId }
  sessions { id interactive exitCode steps { ${stepFields} } }`;

/**
 * The container as of `asOf` (default: now), with its sessions and steps (outputs come later).
 * @param {string} ref
 * @param {number | undefined} [asOf]
 * @returns {Promise<ContainerInfo | null>}
 */
export async function fetchContainer(ref, asOf) {
  const data = await gql(
    `query ReplayContainer($ref: String!, $asOf: Position) { container(ref: $ref, asOf: $asOf) { ${containerFields} } }`,
    { ref, asOf },
  );
  return data.container;
}

/**
 * Every event of one stream, oldest first.
 * @param {string} stream
 * @returns {Promise<StoreEvent[]>}
 */
export async function fetchStream(stream) {
  /** @type {StoreEvent[]} */
  const events = [];
  /** @type {number | undefined} */
  let after;
  for (;;) {
    const data = await gql(
      `query ReplayEvents($stream: String!, $after: Position, $first: Int) {
        events(stream: $stream, after: $after, first: $first) {
          edges { node { position type stream recordedAt data metadata } } pageInfo { hasNextPage } } }`,
      { stream, after, first: eventsPageSize },
    );
    const page = data.events.edges.map((/** @type {any} */ e) => e.node);
    events.push(...page);
    if (!data.events.pageInfo.hasNextPage || page.length === 0) return events;
    after = page[page.length - 1].position;
  }
}

/**
 * @param {string} id
 * @returns {Promise<{ id: string, interactive: boolean, exitCode: number | null, container: { containerId: string, name: string } } | null>}
 */
export async function fetchSession(id) {
  const data = await gql(
    `query ReplaySession($id: ID!) { session(id: $id) { id interactive exitCode container { containerId name } } }`,
    { id },
  );
  return data.session;
}

/**
 * The outputs of a session's steps, by step index.
 * @param {string} id
 * @returns {Promise<Map<number, { stdout: string, stderr: string }>>}
 */
export async function fetchSessionOutputs(id) {
  const data = await gql(
    `query ReplayOutputs($id: ID!) { session(id: $id) { steps { index stdout stderr } } }`,
    { id },
  );
  return new Map(
    (data.session?.steps ?? []).map((/** @type {any} */ s) => [
      s.index,
      { stdout: s.stdout, stderr: s.stderr },
    ]),
  );
}

/**
 * The container's merged filesystem as of a position (null state: the container did not exist then).
 * @param {string} containerId
 * @param {number} asOf
 * @returns {Promise<Tree>}
 */
export async function fetchTree(containerId, asOf) {
  /** @type {Entry[]} */
  const entries = [];
  /** @type {string | null} */
  let after = null;
  for (;;) {
    const data = await gql(
      `query ReplayTree($id: String!, $asOf: Position, $first: Int, $after: String) {
        container(ref: $id, asOf: $asOf) { state
          files(first: $first, after: $after) { edges { node { path type size linkTarget } } pageInfo { hasNextPage endCursor } } } }`,
      { id: containerId, asOf, first: filesPageSize, after },
    );
    if (!data.container) return { state: null, entries, truncated: false };
    const files = data.container.files;
    entries.push(...files.edges.map((/** @type {any} */ e) => e.node));
    if (!files.pageInfo.hasNextPage) return { state: data.container.state, entries, truncated: false };
    if (entries.length >= maxTreeEntries) return { state: data.container.state, entries, truncated: true };
    after = files.pageInfo.endCursor;
  }
}

/**
 * One path as of a position; its text only when asked (large files are not fetched).
 * @param {string} containerId
 * @param {number} asOf
 * @param {string} path
 * @param {boolean} withContent
 * @returns {Promise<FileView | null>}
 */
export async function fetchFile(containerId, asOf, path, withContent) {
  const data = await gql(
    `query ReplayFile($id: String!, $asOf: Position, $path: String!, $withContent: Boolean!) {
      container(ref: $id, asOf: $asOf) { file(path: $path) { path type size mode linkTarget
        content @include(if: $withContent) origin { position command operation layer { diffId } } } } }`,
    { id: containerId, asOf, path, withContent },
  );
  const file = data.container?.file ?? null;
  if (file && !withContent) file.content = null;
  return file;
}

/**
 * Which of `paths` existed as of a position (to tell an added path from a changed one).
 * @param {string} containerId
 * @param {number} asOf
 * @param {string[]} paths
 * @returns {Promise<Set<string>>}
 */
export async function fetchExisting(containerId, asOf, paths) {
  const existing = new Set();
  for (let start = 0; start < paths.length; start += 50) {
    const batch = paths.slice(start, start + 50);
    const params = batch.map((_, i) => `$p${i}: String!`).join(', ');
    const fields = batch.map((_, i) => `p${i}: file(path: $p${i}) { type }`).join(' ');
    /** @type {Record<string, unknown>} */
    const variables = { id: containerId, asOf };
    batch.forEach((path, i) => {
      variables[`p${i}`] = path;
    });
    const data = await gql(
      `query ReplayExisting($id: String!, $asOf: Position, ${params}) { container(ref: $id, asOf: $asOf) { ${fields} } }`,
      variables,
    );
    batch.forEach((path, i) => {
      if (data.container?.[`p${i}`]) existing.add(path);
    });
  }
  return existing;
}

/**
 * Containers for the start screen, newest first.
 * @returns {Promise<{ name: string, containerId: string, state: string }[]>}
 */
export async function fetchContainers() {
  const data = await gql(
    `query ReplayContainers { containers(all: true, first: 100) { edges { node { name containerId state } } } }`,
  );
  return data.containers.edges.map((/** @type {any} */ e) => e.node);
}
