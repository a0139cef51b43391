import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { notFoundError, validationError } from '../../domain/errors.ts';
import { readAllBounded } from '../verifyStream.ts';
import { type FileSource, safeRelativePath } from './fileSource.ts';

interface TarEntry {
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** Offset of the entry's data in the archive. */
  offset: number;
  size: number;
  linkname: string;
}

const maxEntries = 1_000_000;
const maxPaxBytes = 1024 * 1024;
const maxLinkHops = 8;

/**
 * The entries of a tar file, indexed by reading only their headers (seeking over the data), then read
 * in place: a `docker save` archive is never extracted or held in memory. ustar, PAX (path, linkpath,
 * size) and GNU long names; symlinks and hardlinks inside the archive resolve (old `docker save` links
 * duplicate layer.tar files).
 */
export class TarSource implements FileSource {
  private constructor(
    readonly path: string,
    private readonly entries: Map<string, TarEntry>,
  ) {}

  get description() {
    return this.path;
  }

  static async open(path: string): Promise<TarSource> {
    return new TarSource(path, await indexTar(path));
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  private resolve(path: string): TarEntry | null {
    let name = safeRelativePath(path);
    for (let hops = 0; hops <= maxLinkHops; hops++) {
      const entry = this.entries.get(name);
      if (!entry) return null;
      if (entry.type === 'file') return entry;
      if (entry.type === 'symlink') {
        const target = posix.normalize(posix.join(posix.dirname(name), entry.linkname));
        if (entry.linkname.startsWith('/') || target.startsWith('../') || target === '..') return null;
        name = target;
      } else if (entry.type === 'hardlink') {
        name = safeRelativePath(entry.linkname);
      } else {
        return null;
      }
    }
    return null;
  }

  async size(path: string): Promise<number | null> {
    return this.resolve(path)?.size ?? null;
  }

  async read(path: string, limit: number): Promise<Uint8Array> {
    return readAllBounded(this.open(path), limit, path);
  }

  async *open(path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
    const entry = this.resolve(path);
    if (!entry) throw notFoundError(`${path} not found in ${this.path}`, { path });
    if (entry.size === 0) return;
    const stream = createReadStream(this.path, {
      start: entry.offset,
      end: entry.offset + entry.size - 1,
      highWaterMark: 256 * 1024,
      ...(signal ? { signal } : {}),
    });
    for await (const chunk of stream) yield chunk as Buffer;
  }
}

const decoder = new TextDecoder();
const cString = (bytes: Uint8Array): string => {
  const end = bytes.indexOf(0);
  return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
};

function octal(field: Uint8Array, what: string): number {
  if (field[0]! & 0x80) {
    // GNU base-256
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    if (!Number.isSafeInteger(value)) throw validationError(`tar ${what} too large`);
    return value;
  }
  const text = cString(field).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw validationError(`tar header has an invalid ${what} "${text}"`);
  return Number.parseInt(text, 8);
}

function checksumOk(header: Uint8Array): boolean {
  const stored = octal(header.subarray(148, 156), 'checksum');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return sum === stored;
}

function parsePax(data: Uint8Array): Record<string, string> {
  const records: Record<string, string> = {};
  const text = Buffer.from(data);
  let offset = 0;
  while (offset < text.length) {
    const space = text.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number(text.subarray(offset, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0 || offset + length > text.length)
      throw validationError('malformed PAX header');
    const record = text.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    offset += length;
  }
  return records;
}

async function indexTar(path: string): Promise<Map<string, TarEntry>> {
  const handle = await open(path, 'r');
  const entries = new Map<string, TarEntry>();
  try {
    const { size: fileSize } = await handle.stat();
    const header = new Uint8Array(512);
    let offset = 0;
    let pax: Record<string, string> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    let count = 0;
    const readData = async (at: number, length: number, limit: number, what: string) => {
      if (length > limit)
        throw validationError(`tar ${what} of ${length} bytes is over the ${limit}-byte limit`);
      const data = new Uint8Array(length);
      const { bytesRead } = await handle.read(data, 0, length, at);
      if (bytesRead !== length) throw validationError('truncated tar archive');
      return data;
    };
    while (offset + 512 <= fileSize) {
      const { bytesRead } = await handle.read(header, 0, 512, offset);
      if (bytesRead !== 512) throw validationError('truncated tar archive');
      if (header.every((b) => b === 0)) break;
      if (!checksumOk(header)) throw validationError(`tar header at offset ${offset} has a bad checksum`);
      if (++count > maxEntries) throw validationError(`tar archive has more than ${maxEntries} entries`);
      const typeflag = String.fromCharCode(header[156]!);
      let size = octal(header.subarray(124, 136), 'size');
      if (pax.size !== undefined) size = Number(pax.size);
      if (!Number.isSafeInteger(size) || size < 0) throw validationError('tar entry has an invalid size');
      const dataOffset = offset + 512;
      const next = dataOffset + Math.ceil(size / 512) * 512;
      if (dataOffset + size > fileSize) throw validationError('truncated tar archive');

      if (typeflag === 'x') {
        pax = parsePax(await readData(dataOffset, size, maxPaxBytes, 'PAX header'));
      } else if (typeflag === 'g') {
        // global PAX records: nothing we need
      } else if (typeflag === 'L') {
        longName = cString(await readData(dataOffset, size, maxPaxBytes, 'long name'));
      } else if (typeflag === 'K') {
        longLink = cString(await readData(dataOffset, size, maxPaxBytes, 'long link name'));
      } else {
        const magic = cString(header.subarray(257, 263));
        const prefix =
          magic.startsWith('ustar') && header[262] === 0 ? cString(header.subarray(345, 500)) : '';
        const rawName =
          pax.path ??
          longName ??
          (prefix ? `${prefix}/${cString(header.subarray(0, 100))}` : cString(header.subarray(0, 100)));
        const linkname = pax.linkpath ?? longLink ?? cString(header.subarray(157, 257));
        const type: TarEntry['type'] =
          typeflag === '0' || typeflag === '\0' || typeflag === '7'
            ? 'file'
            : typeflag === '5'
              ? 'dir'
              : typeflag === '2'
                ? 'symlink'
                : typeflag === '1'
                  ? 'hardlink'
                  : 'other';
        let name: string | null;
        try {
          name = safeRelativePath(rawName);
        } catch {
          name = null; // `..` or absolute names are never looked up
        }
        if (name !== null)
          entries.set(name, { type, offset: dataOffset, size: type === 'file' ? size : 0, linkname });
        pax = {};
        longName = undefined;
        longLink = undefined;
      }
      offset = next;
    }
  } finally {
    await handle.close();
  }
  return entries;
}
