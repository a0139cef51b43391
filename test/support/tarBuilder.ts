/**
 * A deterministic tar builder for tests: real tars (and gzip / zstd blobs) with real digests from a
 * compact description. It has its own header encoder (independent of src/layers/writeLayer.ts) and
 * can write what a well-behaved writer never would: `..` names, absolute names, bad checksums,
 * unknown type flags, oversized PAX headers, sizes that lie.
 *
 *   const layer = buildLayer([dir('etc'), file('etc/passwd', 'root:x:0:0'), whiteout('etc/shadow')], { compression: 'gzip' });
 *   layer.blob, layer.digest, layer.diffId, layer.tar
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Digest } from '../../src/domain/digest.ts';

export interface EntryOptions {
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; default 1_700_000_000. */
  mtime?: number;
  uname?: string;
  gname?: string;
  /** Extra PAX records for this entry (written in a PAX `x` header before it). */
  pax?: Record<string, string>;
  /** How a name or link target that does not fit the header travels: PAX (default) or GNU `L`/`K`. */
  longNames?: 'pax' | 'gnu';
  /** Header magic: POSIX ustar (default), old GNU, or none (v7). */
  magic?: 'ustar' | 'gnu' | 'v7';
}

export interface TarEntrySpec extends EntryOptions {
  /** Tar type flag character, e.g. '0' file, '5' dir, 'S' GNU sparse, 'Z' unknown. */
  typeflag: string;
  name: string;
  content?: Uint8Array;
  linkname?: string;
  devMajor?: number;
  devMinor?: number;
  /** Header size field when it should differ from the content length. */
  sizeField?: number;
  /** Write a wrong checksum. */
  badChecksum?: boolean;
}

const DEFAULT_MTIME = 1_700_000_000;
const text = new TextEncoder();
const bytes = (content: string | Uint8Array): Uint8Array =>
  typeof content === 'string' ? text.encode(content) : content;

export const file = (
  name: string,
  content: string | Uint8Array = '',
  options: EntryOptions = {},
): TarEntrySpec => ({
  mode: 0o644,
  ...options,
  typeflag: '0',
  name,
  content: bytes(content),
});

/** A directory; a trailing slash is added to the name unless it has one. */
export const dir = (name: string, options: EntryOptions = {}): TarEntrySpec => ({
  mode: 0o755,
  ...options,
  typeflag: '5',
  name: name.endsWith('/') ? name : `${name}/`,
});

export const symlink = (name: string, target: string, options: EntryOptions = {}): TarEntrySpec => ({
  mode: 0o777,
  ...options,
  typeflag: '2',
  name,
  linkname: target,
});

export const hardlink = (name: string, target: string, options: EntryOptions = {}): TarEntrySpec => ({
  mode: 0o644,
  ...options,
  typeflag: '1',
  name,
  linkname: target,
});

export const charDevice = (
  name: string,
  major: number,
  minor: number,
  options: EntryOptions = {},
): TarEntrySpec => ({
  mode: 0o666,
  ...options,
  typeflag: '3',
  name,
  devMajor: major,
  devMinor: minor,
});

export const blockDevice = (
  name: string,
  major: number,
  minor: number,
  options: EntryOptions = {},
): TarEntrySpec => ({
  mode: 0o660,
  ...options,
  typeflag: '4',
  name,
  devMajor: major,
  devMinor: minor,
});

export const fifo = (name: string, options: EntryOptions = {}): TarEntrySpec => ({
  mode: 0o644,
  ...options,
  typeflag: '6',
  name,
});

/** `etc/shadow` → the empty file `etc/.wh.shadow`. */
export function whiteout(path: string, options: EntryOptions = {}): TarEntrySpec {
  const cut = path.lastIndexOf('/');
  const name = cut === -1 ? `.wh.${path}` : `${path.slice(0, cut)}/.wh.${path.slice(cut + 1)}`;
  return file(name, '', options);
}

/** `etc` → the empty file `etc/.wh..wh..opq`. */
export const opaque = (dirPath: string, options: EntryOptions = {}): TarEntrySpec =>
  file(dirPath === '' ? '.wh..wh..opq' : `${dirPath.replace(/\/$/, '')}/.wh..wh..opq`, '', options);

/** Any header at all, for entries a sane writer would not produce. */
export const raw = (spec: Partial<TarEntrySpec> & { name: string; typeflag: string }): TarEntrySpec => ({
  mode: 0o644,
  ...spec,
});

export interface BuildTarOptions {
  /** Write the two zero blocks that end an archive (default true). */
  endMarker?: boolean;
  /** Extra bytes after the archive (e.g. zero padding). */
  trailing?: Uint8Array;
}

/** The tar archive for `entries`, byte for byte the same on every call. */
export function buildTar(entries: readonly TarEntrySpec[], options: BuildTarOptions = {}): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const entry of entries) blocks.push(...encodeEntry(entry));
  if (options.endMarker ?? true) blocks.push(new Uint8Array(1024));
  if (options.trailing) blocks.push(options.trailing);
  return concat(blocks);
}

function encodeEntry(entry: TarEntrySpec): Uint8Array[] {
  const out: Uint8Array[] = [];
  const content = entry.content ?? new Uint8Array(0);
  const nameBytes = text.encode(entry.name);
  const linkBytes = text.encode(entry.linkname ?? '');
  const pax: Record<string, string> = { ...(entry.pax ?? {}) };
  let name: Uint8Array = nameBytes;
  let prefix: Uint8Array = new Uint8Array(0);
  let link: Uint8Array = linkBytes;
  const longNames = entry.longNames ?? 'pax';

  if (nameBytes.length > 100) {
    const split = splitUstar(entry.name);
    if (
      split !== undefined &&
      longNames === 'pax' &&
      entry.magic !== 'gnu' &&
      entry.magic !== 'v7' &&
      !entry.pax?.path
    ) {
      [prefix, name] = split;
    } else if (longNames === 'gnu') {
      out.push(...longHeader('L', nameBytes, entry));
      name = nameBytes.subarray(0, 100);
    } else {
      pax.path = entry.name;
      name = nameBytes.subarray(0, 100);
    }
  }
  if (linkBytes.length > 100) {
    if (longNames === 'gnu') out.push(...longHeader('K', linkBytes, entry));
    else pax.linkpath = entry.linkname!;
    link = linkBytes.subarray(0, 100);
  }
  if (Object.keys(pax).length > 0) {
    const body = text.encode(
      Object.entries(pax)
        .map(([k, v]) => paxRecord(k, v))
        .join(''),
    );
    const paxName = `PaxHeaders/${entry.name.split('/').filter(Boolean).at(-1) ?? 'root'}`.slice(0, 100);
    out.push(
      header(
        { ...entry, magic: 'ustar', typeflag: 'x', badChecksum: false },
        text.encode(paxName),
        new Uint8Array(0),
        new Uint8Array(0),
        body.length,
      ),
    );
    out.push(...padded(body));
  }
  out.push(header(entry, name, prefix, link, entry.sizeField ?? content.length));
  out.push(...padded(content));
  return out;
}

function longHeader(typeflag: 'L' | 'K', value: Uint8Array, entry: TarEntrySpec): Uint8Array[] {
  const body = concat([value, new Uint8Array(1)]);
  return [
    header(
      { ...entry, typeflag, magic: 'gnu', badChecksum: false },
      text.encode('././@LongLink'),
      new Uint8Array(0),
      new Uint8Array(0),
      body.length,
    ),
    ...padded(body),
  ];
}

function splitUstar(name: string): [Uint8Array, Uint8Array] | undefined {
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = text.encode(name.slice(0, i));
    const rest = text.encode(name.slice(i + 1));
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0) return [prefix, rest];
  }
  return undefined;
}

function header(
  entry: TarEntrySpec,
  name: Uint8Array,
  prefix: Uint8Array,
  link: Uint8Array,
  size: number,
): Uint8Array {
  const block = new Uint8Array(512);
  block.set(name.subarray(0, 100), 0);
  writeOctal(block, 100, 8, entry.mode ?? 0o644);
  writeOctal(block, 108, 8, entry.uid ?? 0);
  writeOctal(block, 116, 8, entry.gid ?? 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, entry.mtime ?? DEFAULT_MTIME);
  block[156] = entry.typeflag.charCodeAt(0);
  block.set(link.subarray(0, 100), 157);
  const magic = entry.magic ?? 'ustar';
  if (magic === 'ustar') {
    block.set(text.encode('ustar\u000000'), 257);
  } else if (magic === 'gnu') {
    block.set(text.encode('ustar  \u0000'), 257);
  }
  if (magic !== 'v7') {
    block.set(text.encode(entry.uname ?? '').subarray(0, 32), 265);
    block.set(text.encode(entry.gname ?? '').subarray(0, 32), 297);
    writeOctal(block, 329, 8, entry.devMajor ?? 0);
    writeOctal(block, 337, 8, entry.devMinor ?? 0);
    if (magic === 'ustar') block.set(prefix.subarray(0, 155), 345);
  }
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  if (entry.badChecksum) sum += 1;
  writeOctal(block, 148, 7, sum);
  block[155] = 0x20;
  return block;
}

/** Octal with a trailing NUL; numbers too large for the field use GNU base-256. */
function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (value >= 0 && digits.length <= length - 1) {
    block.set(text.encode(digits.padStart(length - 1, '0')), offset);
    block[offset + length - 1] = 0;
    return;
  }
  let v = BigInt(value);
  for (let i = length - 1; i >= 1; i--) {
    block[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[offset] = 0x80;
}

export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = text.encode(body).length;
  let length = bodyLength + String(bodyLength).length;
  if (String(length).length + bodyLength !== length) length = bodyLength + String(length).length;
  return `${length}${body}`;
}

function padded(data: Uint8Array): Uint8Array[] {
  if (data.length === 0) return [];
  const rest = data.length % 512;
  return rest === 0 ? [data] : [data, new Uint8Array(512 - rest)];
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export const sha256 = (data: Uint8Array | string): Digest =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** gzip with no name and mtime 0 in its header, so the same input always gives the same bytes. */
export const gzip = (data: Uint8Array, level = 6): Uint8Array => new Uint8Array(gzipSync(data, { level }));

export interface ZstdFrameOptions {
  /** Bytes per raw block (max 128 KiB). */
  blockSize?: number;
  /** Window descriptor byte to write (default: fits the block size); ignored when singleSegment. */
  windowDescriptor?: number;
  /** Single-segment frame (window = content size, declared in the header). */
  singleSegment?: boolean;
  /** Content size to declare in a single-segment frame (defaults to the real size). */
  declaredSize?: number;
  /** Use RLE blocks for runs of one byte value (compresses zeros hugely: a bomb in a few bytes). */
  rle?: boolean;
}

/**
 * A real zstd frame made of raw (stored) blocks, or RLE blocks for uniform data. No compressor
 * needed, so tests run anywhere; `zstdCli` gives really compressed frames where the `zstd` tool exists.
 */
export function zstdFrame(data: Uint8Array, options: ZstdFrameOptions = {}): Uint8Array {
  const blockSize = options.blockSize ?? 128 * 1024;
  const parts: Uint8Array[] = [new Uint8Array([0x28, 0xb5, 0x2f, 0xfd])];
  if (options.singleSegment) {
    const size = options.declaredSize ?? data.length;
    parts.push(new Uint8Array([0x20 | (3 << 6)]));
    const fcs = new Uint8Array(8);
    new DataView(fcs.buffer).setBigUint64(0, BigInt(size), true);
    parts.push(fcs);
  } else {
    parts.push(new Uint8Array([0x00, options.windowDescriptor ?? 0x38]));
  }
  if (data.length === 0) parts.push(blockHeader(true, 0, 0));
  for (let offset = 0; offset < data.length; offset += blockSize) {
    const chunk = data.subarray(offset, Math.min(offset + blockSize, data.length));
    const last = offset + blockSize >= data.length;
    if (options.rle && chunk.every((b) => b === chunk[0])) {
      parts.push(blockHeader(last, 1, chunk.length), new Uint8Array([chunk[0]!]));
    } else {
      parts.push(blockHeader(last, 0, chunk.length), chunk);
    }
  }
  return concat(parts);
}

/** `count` RLE blocks of 128 KiB zeros in one frame: a few bytes per block, a zstd bomb. */
export function zstdZeroBomb(count: number): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
  for (let i = 0; i < count; i++)
    parts.push(blockHeader(i === count - 1, 1, 128 * 1024), new Uint8Array([0]));
  return concat(parts);
}

function blockHeader(last: boolean, type: number, size: number): Uint8Array {
  const value = (last ? 1 : 0) | (type << 1) | (size << 3);
  return new Uint8Array([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff]);
}

export const hasZstdCli = (): boolean => existsSync('/usr/bin/zstd') || existsSync('/usr/local/bin/zstd');

/** Really compressed zstd (via the `zstd` tool, with a content checksum). */
export const zstdCli = (data: Uint8Array, level = 3): Uint8Array =>
  new Uint8Array(
    execFileSync('zstd', [`-${level}`, '-c', '-q', '--check'], { input: data, maxBuffer: 1 << 30 }),
  );

export type Compression = 'none' | 'gzip' | 'zstd';

export interface BuiltLayer {
  tar: Uint8Array;
  blob: Uint8Array;
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** sha256 of the blob as stored. */
  digest: Digest;
  size: number;
  compressedSize: number;
}

export function buildLayer(
  entries: readonly TarEntrySpec[],
  options: BuildTarOptions & { compression?: Compression } = {},
): BuiltLayer {
  const tar = buildTar(entries, options);
  return layerFromTar(tar, options.compression ?? 'none');
}

export function layerFromTar(tar: Uint8Array, compression: Compression = 'none'): BuiltLayer {
  const blob = compression === 'gzip' ? gzip(tar) : compression === 'zstd' ? zstdFrame(tar) : tar;
  return {
    tar,
    blob,
    diffId: sha256(tar),
    digest: sha256(blob),
    size: tar.length,
    compressedSize: blob.length,
  };
}

/** The blob as a stream of `size`-byte chunks, to exercise chunk boundaries. */
export async function* chunked(data: Uint8Array, size = 4096): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

/** Collects a stream into one buffer (tests only: never do this with real layers). */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return concat(parts);
}
