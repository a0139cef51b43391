/**
 * Sizes and durations as Docker prints them (github.com/docker/go-units): decimal units,
 * `%.4g` (HumanSize) or `%.3g` (HumanSizeWithPrecision(…, 3), what `docker images`, `docker ps -s`
 * and `docker history` use), and HumanDuration's words.
 */
const decimalUnits = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/**
 * Go's `%.<precision>g` for 0 or a value in [1, 1000): rounded half to even on the exact binary
 * value (as Go does; JS toPrecision rounds ties up), trailing zeros dropped, and Go's exponent
 * form when rounding reaches 10^precision (`%.3g` of 999.5 is `1e+03`: Docker prints `1e+03kB`).
 */
export function formatG(value: number, precision: number): string {
  if (value === 0) return '0';
  if (value < 1) return String(Number(value.toPrecision(precision)));
  // A double in [1, 1000) has at most 3 + 52 significant decimal digits: 60 digits are exact.
  const [intPart, fracPart = ''] = value.toPrecision(60).split('.') as [string, string?];
  let exponent = intPart.length - 1;
  const digits = intPart + fracPart;
  let head = digits.slice(0, precision);
  const rest = digits.slice(precision);
  const up =
    rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || Number(head.at(-1)) % 2 === 1));
  if (up) {
    const bumped = (BigInt(head) + 1n).toString();
    if (bumped.length > head.length) exponent++;
    head = bumped.slice(0, precision);
  }
  if (exponent >= precision) {
    const mantissa = `${head[0]}.${head.slice(1)}`.replace(/0+$/, '').replace(/\.$/, '');
    return `${mantissa}e+${String(exponent).padStart(2, '0')}`;
  }
  const whole = head.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = head.slice(exponent + 1).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** go-units HumanSizeWithPrecision: `7.8MB`, `0B`, `1.23kB`. */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < decimalUnits.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${formatG(size, precision)}${decimalUnits[unit]}`;
}

/** go-units HumanSize (4 significant digits): `docker system df`. */
export const humanSize = (bytes: number): string => humanSizeWithPrecision(bytes, 4);

/** The 3-digit form `docker images`, `docker ps -s` and `docker history` print. */
export const shortSize = (bytes: number): string => humanSizeWithPrecision(bytes, 3);

/** go-units HumanDuration: `Less than a second`, `About a minute`, `2 hours`, `3 weeks`. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

/** `2 minutes ago` (Docker's CREATED columns), relative to `now` (ms since the epoch). */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return 'N/A';
  return `${humanDuration(Math.max(0, now - Date.parse(iso)))} ago`;
}

/** Go's time.Time.String() in UTC, as `--format json` prints CreatedAt: `2024-05-01 12:00:00 +0000 UTC`. */
export function goTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000 UTC`;
}

/** RFC 3339 with nanoseconds, as `docker inspect` and `docker events` print times. */
export function rfc3339Nano(iso: string | null | undefined): string {
  if (!iso) return '0001-01-01T00:00:00Z';
  const d = new Date(iso);
  const base = d.toISOString().slice(0, 19);
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? `${base}Z` : `${base}.${String(ms).padStart(3, '0').replace(/0+$/, '')}Z`;
}
