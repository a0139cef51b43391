import { ConnectionError, DaemonError } from './errors.ts';

/**
 * The Strata server as the CLI sees it: GraphQL over HTTP with fetch, as `docker` talks to
 * dockerd. STRATA_URL (default http://127.0.0.1:4000/graphql), `Authorization: Bearer
 * $STRATA_TOKEN` when set. Query errors and the typed errors of mutation result unions
 * (`... on Error { code message }`) become DaemonErrors.
 */
export interface ApiOptions {
  url: string;
  token?: string | undefined;
}

export const defaultUrl = 'http://127.0.0.1:4000/graphql';

export function apiOptionsFromEnv(env: NodeJS.ProcessEnv): ApiOptions {
  return { url: env.STRATA_URL || defaultUrl, token: env.STRATA_TOKEN || undefined };
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const errorFrom = (errors: NonNullable<GraphQLResponse<unknown>['errors']>) =>
  new DaemonError(errors[0]?.extensions?.code ?? 'INTERNAL', errors[0]?.message ?? 'unknown error');

export class StrataApi {
  constructor(readonly options: ApiOptions) {}

  private headers(accept: string): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept,
      ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
    };
  }

  private async post(body: string, accept: string, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(this.options.url, {
        method: 'POST',
        headers: this.headers(accept),
        body,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ConnectionError(
        `Cannot connect to the Strata server at ${this.options.url}. Is the strata server running? (strata serve; STRATA_URL names another)`,
      );
    }
  }

  /** A query (or a mutation read as a whole): the `data`, or the first error as a DaemonError. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.post(
      JSON.stringify({ query, variables }),
      'application/graphql-response+json, application/json',
    );
    const text = await response.text();
    let body: GraphQLResponse<T>;
    try {
      body = JSON.parse(text) as GraphQLResponse<T>;
    } catch {
      throw new DaemonError(
        `HTTP_${response.status}`,
        `${response.status} ${response.statusText}: ${text.trim().slice(0, 200)}`,
      );
    }
    if (body.errors?.length) throw errorFrom(body.errors);
    if (!body.data)
      throw new DaemonError(`HTTP_${response.status}`, `${response.status} ${response.statusText}: no data`);
    return body.data;
  }

  /**
   * A mutation whose field returns a result union: `field`'s `data` on success, a DaemonError
   * with the typed error's code and message otherwise. `selection` is what to read of `data`.
   */
  async mutate<T>(
    field: string,
    args: Record<string, { type: string; value: unknown }>,
    selection: string,
  ): Promise<T> {
    const names = Object.keys(args);
    const declared = names.map((n) => `$${n}: ${args[n]!.type}`).join(', ');
    const passed = names.map((n) => `${n}: $${n}`).join(', ');
    const success = `Mutation${field[0]!.toUpperCase()}${field.slice(1)}Success`;
    const query = `mutation${declared ? `(${declared})` : ''} { result: ${field}${passed ? `(${passed})` : ''} { __typename ... on ${success} { data { ${selection} } } ... on Error { code message } } }`;
    const variables = Object.fromEntries(names.map((n) => [n, args[n]!.value]));
    const data = await this.request<{
      result: { __typename: string; data?: T; code?: string; message?: string };
    }>(query, variables);
    if (data.result.__typename !== success)
      throw new DaemonError(data.result.code ?? 'INTERNAL', data.result.message ?? data.result.__typename);
    return data.result.data as T;
  }

  /**
   * A subscription over SSE (GraphQL over SSE, "distinct connections" mode, what Yoga serves for
   * `Accept: text/event-stream`): yields each `next` payload's data until `complete` or `signal`.
   */
  async *subscribe<T>(
    query: string,
    variables: Record<string, unknown>,
    signal: AbortSignal,
  ): AsyncGenerator<T> {
    const response = await this.post(JSON.stringify({ query, variables }), 'text/event-stream', signal);
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      try {
        const body = JSON.parse(text) as GraphQLResponse<T>;
        if (body.errors?.length) throw errorFrom(body.errors);
      } catch (error) {
        if (error instanceof DaemonError) throw error;
      }
      throw new DaemonError(`HTTP_${response.status}`, `${response.status} ${response.statusText}`);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (signal.aborted) return;
          throw error;
        }
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true }).replaceAll('\r\n', '\n');
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const key = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (key === 'event') event = value;
            else if (key === 'data') data.push(value);
          }
          if (event === 'complete') return;
          if (data.length === 0) continue;
          const payload = JSON.parse(data.join('\n')) as GraphQLResponse<T>;
          if (payload.errors?.length) throw errorFrom(payload.errors);
          if (payload.data) yield payload.data;
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }
}
