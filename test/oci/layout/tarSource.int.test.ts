import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarSource } from '../../../src/oci/layout/tarSource.ts';
import { buildTar, dir, file, hardlink, raw, symlink } from '../../support/tarBuilder.ts';

async function text(source: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('TarSource: a tar read in place', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'strata-tarsource-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('indexes ustar, PAX and GNU long names and resolves links inside the archive', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}.json`;
    const path = join(work, 'names.tar');
    await writeFile(
      path,
      buildTar([
        dir('a'),
        file('a/layer.tar', 'layer bytes'),
        symlink('b/layer.tar', '../a/layer.tar'),
        hardlink('c/layer.tar', 'a/layer.tar'),
        file(long, 'pax name'),
        file(`gnu/${'g'.repeat(150)}`, 'gnu name', { longNames: 'gnu' }),
        file('./dot/slash', 'dot slash'),
        symlink('escape', '../../etc/passwd'),
        file('../outside', 'never indexed'),
        file('empty', ''),
      ]),
    );
    const tar = await TarSource.open(path);
    expect(await text(tar.open('a/layer.tar'))).toBe('layer bytes');
    expect(await text(tar.open('b/layer.tar'))).toBe('layer bytes');
    expect(await text(tar.open('c/layer.tar'))).toBe('layer bytes');
    expect(await text(tar.open(long))).toBe('pax name');
    expect(await text(tar.open(`gnu/${'g'.repeat(150)}`))).toBe('gnu name');
    expect(await text(tar.open('dot/slash'))).toBe('dot slash');
    expect(await tar.size('empty')).toBe(0);
    expect(await text(tar.open('empty'))).toBe('');
    expect(await tar.size('escape')).toBeNull();
    expect(await tar.size('a')).toBeNull();
    expect(tar.names()).not.toContain('../outside');
    await expect(tar.size('../outside')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(text(tar.open('missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects corrupt and truncated archives', async () => {
    const bad = join(work, 'bad.tar');
    await writeFile(
      bad,
      buildTar([raw({ name: 'x', typeflag: '0', content: new Uint8Array(3), badChecksum: true })]),
    );
    await expect(TarSource.open(bad)).rejects.toMatchObject({ code: 'VALIDATION' });
    const truncated = join(work, 'truncated.tar');
    const whole = buildTar([file('x', 'y'.repeat(2000))]);
    await writeFile(truncated, whole.subarray(0, 1024));
    await expect(TarSource.open(truncated)).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});
