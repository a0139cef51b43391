import { validationError } from '../domain/errors.ts';

const ZSTD_MAGIC = 0xfd2fb528;

/**
 * Walks the frame structure of a zstd stream (headers and block sizes only, no decoding) so a
 * frame that asks for a huge window or uses a dictionary is refused before the decompressor
 * allocates anything for it. Fed the same bytes as the decompressor, in the same order.
 */
export class ZstdFrameGuard {
  private state: 'magic' | 'header' | 'skip' | 'blockHeader' | 'blockBody' | 'checksum' = 'magic';
  private pending: number[] = [];
  private needed = 4;
  private skipLeft = 0;
  private checksum = false;
  private lastBlock = false;
  private frames = 0;

  constructor(private readonly maxWindowSize: number) {}

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'skip' || this.state === 'blockBody') {
        const take = Math.min(this.skipLeft, chunk.length - i);
        i += take;
        this.skipLeft -= take;
        if (this.skipLeft === 0) this.afterBody();
        continue;
      }
      this.pending.push(chunk[i++]!);
      if (this.pending.length === this.needed) this.onBytes();
    }
  }

  /** Called at end of input: the stream must end between frames. */
  end(): void {
    if (this.state !== 'magic' || this.pending.length > 0) throw validationError('truncated zstd stream');
    if (this.frames === 0) throw validationError('empty zstd stream');
  }

  private onBytes(): void {
    const b = this.pending;
    switch (this.state) {
      case 'magic': {
        const magic = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
        if (magic === ZSTD_MAGIC) {
          this.state = 'header';
          this.needed = 5; // magic + descriptor, then we know the header length
          return;
        }
        if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
          this.state = 'header';
          this.needed = 8; // skippable: magic + 4-byte size
          return;
        }
        throw validationError('invalid zstd frame magic');
      }
      case 'header':
        this.onHeader();
        return;
      case 'blockHeader': {
        const value = b[0]! | (b[1]! << 8) | (b[2]! << 16);
        this.lastBlock = (value & 1) === 1;
        const type = (value >> 1) & 3;
        const size = value >> 3;
        if (type === 3) throw validationError('invalid zstd block type');
        this.reset('blockBody', 0);
        this.skipLeft = type === 1 ? 1 : size;
        if (this.skipLeft === 0) this.afterBody();
        return;
      }
      case 'checksum':
        this.reset('magic', 4);
        this.frames++;
        return;
      default:
        return;
    }
  }

  private onHeader(): void {
    const b = this.pending;
    const magic = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    if (magic !== ZSTD_MAGIC) {
      const size = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
      this.reset('skip', 0);
      this.skipLeft = size;
      this.frames++;
      if (size === 0) this.afterBody();
      return;
    }
    const descriptor = b[4]!;
    const fcsFlag = descriptor >> 6;
    const singleSegment = (descriptor >> 5) & 1;
    const dictFlag = descriptor & 3;
    if (descriptor & 8) throw validationError('invalid zstd frame header (reserved bit set)');
    const dictBytes = [0, 1, 2, 4][dictFlag]!;
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    const total = 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
    if (b.length < total) {
      this.needed = total;
      return;
    }
    let offset = 5;
    let windowSize = 0;
    if (!singleSegment) {
      const wd = b[offset++]!;
      const windowLog = 10 + (wd >> 3);
      const base = 2 ** windowLog;
      windowSize = base + (base / 8) * (wd & 7);
    }
    let dictId = 0;
    for (let k = 0; k < dictBytes; k++) dictId += b[offset + k]! * 2 ** (8 * k);
    offset += dictBytes;
    if (dictId !== 0) throw validationError('zstd frames that need a dictionary are not supported');
    if (singleSegment) {
      let fcs = 0;
      for (let k = 0; k < fcsBytes; k++) fcs += b[offset + k]! * 2 ** (8 * k);
      if (fcsBytes === 2) fcs += 256;
      windowSize = fcs;
    }
    if (windowSize > this.maxWindowSize) {
      throw validationError(
        `zstd frame window of ${windowSize} bytes exceeds the limit of ${this.maxWindowSize}`,
        {
          windowSize,
          limit: this.maxWindowSize,
        },
      );
    }
    this.checksum = ((descriptor >> 2) & 1) === 1;
    this.reset('blockHeader', 3);
  }

  private afterBody(): void {
    if (this.state === 'skip') {
      this.reset('magic', 4);
      return;
    }
    if (!this.lastBlock) {
      this.reset('blockHeader', 3);
      return;
    }
    if (this.checksum) {
      this.reset('checksum', 4);
      return;
    }
    this.frames++;
    this.reset('magic', 4);
  }

  private reset(state: ZstdFrameGuard['state'], needed: number): void {
    this.state = state;
    this.needed = needed;
    this.pending = [];
  }
}
