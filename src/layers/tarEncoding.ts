import { validationError } from '../domain/errors.ts';

/** One tar entry's header, as the deterministic writer emits it. */
export interface TarHeaderFields {
  /** Relative name as it goes in the tar (`etc/passwd`, `etc/`, `./`). */
  name: string;
  typeflag: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
  devMajor?: number;
  devMinor?: number;
}

const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;
const encoder = new TextEncoder();
const PAX_HEADER_NAME = '././@PaxHeader';

/**
 * Encodes a header as POSIX ustar, adding a PAX `x` header (records sorted by key) for whatever
 * ustar cannot hold: names over 100 bytes that no prefix split fits, non-ASCII names or link
 * targets, ids over 0o7777777, sizes of 8 GiB and more, negative or far-future mtimes. The same
 * fields always give the same bytes.
 */
export function encodeHeader(fields: TarHeaderFields): Uint8Array[] {
  const pax: Record<string, string> = {};
  let name = fields.name;
  let prefix = '';
  if (!isAscii(name) || name.length > 100) {
    const split = isAscii(name) ? splitName(name) : undefined;
    if (split === undefined) {
      pax.path = name;
      name = asciiFallback(name);
    } else {
      [prefix, name] = split;
    }
  }
  let linkname = fields.linkname ?? '';
  if (!isAscii(linkname) || linkname.length > 100) {
    pax.linkpath = linkname;
    linkname = asciiFallback(linkname);
  }
  const uid = fitOrPax(fields.uid, MAX_OCTAL_7, 'uid', pax);
  const gid = fitOrPax(fields.gid, MAX_OCTAL_7, 'gid', pax);
  const size = fitOrPax(fields.size, MAX_OCTAL_11, 'size', pax);
  const mtime = fitOrPax(fields.mtime, MAX_OCTAL_11, 'mtime', pax);
  for (const dev of [fields.devMajor ?? 0, fields.devMinor ?? 0]) {
    if (!Number.isInteger(dev) || dev < 0 || dev > MAX_OCTAL_7)
      throw validationError(`device number ${dev} does not fit a tar header`);
  }

  const blocks: Uint8Array[] = [];
  const keys = Object.keys(pax).sort();
  if (keys.length > 0) {
    const body = encoder.encode(keys.map((k) => paxRecord(k, pax[k]!)).join(''));
    blocks.push(
      ustar({
        name: PAX_HEADER_NAME,
        prefix: '',
        typeflag: 'x',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: body.length,
        mtime: 0,
        linkname: '',
        devMajor: 0,
        devMinor: 0,
      }),
    );
    blocks.push(...pad(body));
  }
  blocks.push(
    ustar({
      name,
      prefix,
      typeflag: fields.typeflag,
      mode: fields.mode & 0o7777,
      uid,
      gid,
      size,
      mtime,
      linkname,
      devMajor: fields.devMajor ?? 0,
      devMinor: fields.devMinor ?? 0,
    }),
  );
  return blocks;
}

/** Zero padding that brings `length` bytes of content to a 512-byte boundary. */
export const paddingFor = (length: number): Uint8Array => new Uint8Array((512 - (length % 512)) % 512);

/** The two zero blocks that end an archive. */
export const endOfArchive = (): Uint8Array => new Uint8Array(1024);

interface RawHeader {
  name: string;
  prefix: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devMajor: number;
  devMinor: number;
}

function ustar(h: RawHeader): Uint8Array {
  const block = new Uint8Array(512);
  block.set(encoder.encode(h.name), 0);
  octal(block, 100, 8, h.mode);
  octal(block, 108, 8, h.uid);
  octal(block, 116, 8, h.gid);
  octal(block, 124, 12, h.size);
  octal(block, 136, 12, h.mtime);
  block[156] = h.typeflag.charCodeAt(0);
  block.set(encoder.encode(h.linkname), 157);
  block.set(encoder.encode('ustar\u000000'), 257);
  octal(block, 329, 8, h.devMajor);
  octal(block, 337, 8, h.devMinor);
  block.set(encoder.encode(h.prefix), 345);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  octal(block, 148, 7, sum);
  block[155] = 0x20;
  return block;
}

function octal(block: Uint8Array, offset: number, length: number, value: number): void {
  block.set(encoder.encode(value.toString(8).padStart(length - 1, '0')), offset);
  block[offset + length - 1] = 0;
}

function fitOrPax(value: number, max: number, key: string, pax: Record<string, string>): number {
  if (!Number.isInteger(value)) throw validationError(`tar header ${key} must be an integer, got ${value}`);
  if (value >= 0 && value <= max) return value;
  pax[key] = String(value);
  return value < 0 ? 0 : max;
}

function splitName(name: string): [string, string] | undefined {
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0) return [prefix, rest];
  }
  return undefined;
}

const isAscii = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c > 0x7f) return false;
  }
  return true;
};

/** What goes in the 100-byte ustar field when PAX carries the real value (ignored by readers). */
const asciiFallback = (value: string): string =>
  Array.from(value, (ch) => (isAscii(ch) ? ch : '_'))
    .join('')
    .slice(0, 100);

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + String(bodyLength).length;
  if (String(length).length + bodyLength !== length) length = bodyLength + String(length).length;
  return `${length}${body}`;
}

function pad(data: Uint8Array): Uint8Array[] {
  const padding = paddingFor(data.length);
  return padding.length === 0 ? [data] : [data, padding];
}
