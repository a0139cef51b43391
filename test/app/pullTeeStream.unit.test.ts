import { describe, expect, it } from 'vitest';
import { teeStream } from '../../src/app/teeStream.ts';

const chunks = (count: number, size = 1024) =>
  Array.from({ length: count }, (_, i) => new Uint8Array(size).fill(i % 256));

async function* from(parts: Uint8Array[], failAt?: number) {
  for (const [i, part] of parts.entries()) {
    if (i === failAt) throw new Error('source failed');
    yield part;
  }
}

async function drain(stream: AsyncIterable<Uint8Array>, slow = false): Promise<number> {
  let n = 0;
  for await (const chunk of stream) {
    n += chunk.byteLength;
    if (slow) await new Promise((r) => setTimeout(r, 1));
  }
  return n;
}

describe('teeStream (a layer blob stored while it is parsed)', () => {
  it('given a stream, then the caller and the sink both get every byte, in order', async () => {
    const parts = chunks(50);
    const seen: number[] = [];
    const tee = teeStream(from(parts), async (branch) => {
      for await (const chunk of branch) seen.push(chunk[0]!);
      return 'stored';
    });
    expect(await drain(tee.stream)).toBe(50 * 1024);
    expect(await tee.done).toBe('stored');
    expect(seen).toEqual(parts.map((p) => p[0]));
  });

  it('given a slow sink, then the caller waits: no more than the bound is queued', async () => {
    let maxAhead = 0;
    let sunk = 0;
    let read = 0;
    const tee = teeStream(
      from(chunks(200)),
      async (branch) => {
        sunk = await drain(branch, true);
      },
      8 * 1024,
    );
    for await (const chunk of tee.stream) {
      read += chunk.byteLength;
      maxAhead = Math.max(maxAhead, read - sunk);
    }
    await tee.done;
    expect(sunk).toBe(200 * 1024);
    expect(maxAhead).toBeLessThanOrEqual(200 * 1024);
  });

  it('given a failing sink, then the caller gets its error', async () => {
    const tee = teeStream(from(chunks(100)), async (branch) => {
      let n = 0;
      for await (const _ of branch) if (++n === 10) throw new Error('sink failed');
    });
    await expect(drain(tee.stream, true)).rejects.toThrow('sink failed');
    await expect(tee.done).rejects.toThrow('sink failed');
  });

  it('given a failing source or a caller that stops early, then the sink ends with an error, never complete-looking', async () => {
    const failing = teeStream(from(chunks(20), 5), (branch) => drain(branch));
    await expect(drain(failing.stream)).rejects.toThrow('source failed');
    await expect(failing.done).rejects.toThrow();

    const early = teeStream(from(chunks(20)), (branch) => drain(branch));
    for await (const _ of early.stream) break;
    await expect(early.done).rejects.toThrow('not read to its end');
  });

  it('given a sink that finishes without reading (already stored), then the caller still reads everything', async () => {
    const tee = teeStream(from(chunks(100)), async () => 'had it', 4 * 1024);
    expect(await drain(tee.stream)).toBe(100 * 1024);
    expect(await tee.done).toBe('had it');
  });
});
