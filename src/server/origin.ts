import { isLoopbackHost } from './auth.ts';

/**
 * Without tokens, a loopback server trusts whoever can reach it, and a web page in the user's
 * browser can reach 127.0.0.1 too: by a cross-site request, a cross-site WebSocket, or by DNS
 * rebinding its own name to 127.0.0.1. So when no tokens are configured, requests must name a
 * loopback Host and, when the browser sends an Origin, come from a loopback origin.
 * With tokens configured this is unnecessary: browsers never attach a bearer token by themselves.
 */
export function openServerRequestProblem(
  host: string | null | undefined,
  origin: string | null | undefined,
): string | null {
  if (!host || !isLoopbackHost(hostname(host))) {
    return `Host "${host ?? ''}" is not a loopback name; without access tokens only localhost, 127.0.0.1 and [::1] are served.`;
  }
  if (origin && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).hostname;
    } catch {
      return `Origin "${origin}" is not a URL.`;
    }
    if (!isLoopbackHost(originHost)) {
      return `Cross-origin request from ${origin} refused: without access tokens only pages served from loopback may call this server.`;
    }
  } else if (origin === 'null') {
    return 'Requests from opaque origins (Origin: null) are refused without access tokens.';
  }
  return null;
}

/** `host[:port]` or `[v6]:port` → the host part. */
function hostname(hostHeader: string): string {
  const value = hostHeader.trim();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']'));
  const colon = value.lastIndexOf(':');
  return colon === -1 || value.indexOf(':') !== colon ? value : value.slice(0, colon);
}
