import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The replay page (docs/replay.md): static files from this folder, served as they are (plain
 * JavaScript modules and CSS, no build step). Only the files listed here are served, so no
 * request path ever reaches the filesystem.
 */
const assets: Record<string, { file: string; type: string }> = {
  '/replay': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/replay/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/replay/replay.css': { file: 'replay.css', type: 'text/css; charset=utf-8' },
  '/replay/replay.js': { file: 'replay.js', type: 'text/javascript; charset=utf-8' },
  '/replay/api.js': { file: 'api.js', type: 'text/javascript; charset=utf-8' },
  '/replay/timeline.js': { file: 'timeline.js', type: 'text/javascript; charset=utf-8' },
  '/replay/tree.js': { file: 'tree.js', type: 'text/javascript; charset=utf-8' },
  '/replay/dom.js': { file: 'dom.js', type: 'text/javascript; charset=utf-8' },
};

/** Same origin only: the page talks to /graphql and loads nothing from anywhere else. */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const loaded = new Map<string, Promise<{ body: Buffer; etag: string }>>();

function load(file: string) {
  let entry = loaded.get(file);
  if (!entry) {
    entry = readFile(new URL(file, import.meta.url)).then((body) => ({
      body,
      etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`,
    }));
    // A failed read is retried on the next request rather than cached.
    entry.catch(() => loaded.delete(file));
    loaded.set(file, entry);
  }
  return entry;
}

/** True for the paths this route owns: `/replay` and everything under `/replay/`. */
export function isReplayPath(requestUrl: string | undefined): boolean {
  const pathname = (requestUrl ?? '/').split('?', 1)[0]!;
  return pathname === '/replay' || pathname.startsWith('/replay/');
}

export async function serveReplay(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = (req.url ?? '/').split('?', 1)[0]!;
  const headers = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res
      .writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain' })
      .end('Method Not Allowed\n');
    return;
  }
  const asset = assets[pathname];
  if (!asset) {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('Not Found\n');
    return;
  }
  try {
    const { body, etag } = await load(asset.file);
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ...headers, etag }).end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': asset.type,
      'content-length': body.length,
      'content-security-policy': contentSecurityPolicy,
      etag,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    if (!res.headersSent) res.writeHead(500, { ...headers, 'content-type': 'text/plain' });
    res.end('Internal Server Error\n');
  }
}
