/**
 * Pull benchmark (printed, not asserted): the large fixture image (Debian minbase by debootstrap,
 * scripts/fixtures/build-large.sh, built here once when missing and cached outside the repo) from a
 * loopback registry, in the same run:
 *   - Strata's pull into PostgreSQL (a throwaway database on BENCH_DATABASE_URL's server) and into
 *     PGlite (a data directory on disk, created and migrated by an earlier process), projections
 *     included, each in a fresh child process run with tsx like the CLI (peak RSS is that process's
 *     maxRSS; the idle baselines are printed too);
 *   - `skopeo copy` registry → OCI layout, then `umoci unpack` of it (what a pull to disk costs);
 *   - the floor: one Node stream per layer of fetch + gunzip + tar parse + sha256 of every file,
 *     nothing stored.
 * Run alone: `npx tsx bench/pull.ts` (BENCH_PULL_RUNS=n repeats each measurement, the best is kept).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { openStrata, type Strata } from '../src/app/openStrata.ts';
import { pullImage } from '../src/app/pullImage.ts';
import { openImage } from '../src/oci/registry/openImage.ts';
import { fixtureScripts, largeFixtureLayout, skopeo } from '../test/support/fixtures.ts';
import { startRegistry } from '../test/support/registry.ts';
import { benchStrata } from './support/backend.ts';
import { printTable } from './support/table.ts';

const run = promisify(execFile);
const here = fileURLToPath(import.meta.url);
const runs = Number(process.env.BENCH_PULL_RUNS ?? 1);

interface Measure {
  ms: number;
  maxRssMb?: number;
}

const best = async (fn: () => Promise<Measure>): Promise<Measure> => {
  let result: Measure | undefined;
  for (let i = 0; i < runs; i++) {
    const m = await fn();
    if (!result || m.ms < result.ms) result = m;
  }
  return result!;
};

const timed = async (fn: () => Promise<unknown>): Promise<Measure> => {
  const start = performance.now();
  await fn();
  return { ms: performance.now() - start };
};

/** `/usr/bin/time -f %M` gives a child's peak RSS in KiB. */
async function command(file: string, args: string[]): Promise<Measure> {
  const start = performance.now();
  const hasTime = existsSync('/usr/bin/time');
  const { stderr } = await run(
    hasTime ? '/usr/bin/time' : file,
    hasTime ? ['-f', 'maxrss=%M', file, ...args] : args,
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const ms = performance.now() - start;
  const rss = /maxrss=(\d+)/.exec(stderr)?.[1];
  return rss ? { ms, maxRssMb: Number(rss) / 1024 } : { ms };
}

/** Strata's pull in a fresh process, so its peak RSS is the pull's own. */
function strataPull(
  backend: 'postgres' | 'pglite',
  ref: string,
  dataDir = '',
): Promise<Measure & { layers: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', here, '--child', backend, ref, dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: join(dirname(here), '..'),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`strata pull (${backend}) failed: ${out}`));
      else resolve(JSON.parse(line) as Measure & { layers: number });
    });
  });
}

/**
 * PostgreSQL: a throwaway database. PGlite: the data directory given, as embedded Strata keeps it
 * on disk; it is created and migrated by an earlier child ('prepare'), because creating a PGlite
 * database (initdb inside wasm) alone peaks at ~900 MB RSS, which is not the pull's.
 */
async function openBench(backend: 'postgres' | 'pglite', dataDir: string): Promise<Strata> {
  if (backend === 'postgres') return benchStrata('postgres');
  return openStrata({ dataDir });
}

async function child(backend: 'postgres' | 'pglite', ref: string, dataDir: string): Promise<void> {
  const strata = await openBench(backend, dataDir);
  try {
    if (ref === 'baseline' || ref === 'prepare') {
      console.log(JSON.stringify({ ms: 0, maxRssMb: process.resourceUsage().maxRSS / 1024, layers: 0 }));
      return;
    }
    const start = performance.now();
    const report = await pullImage(strata, ref);
    const ms = performance.now() - start;
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    console.log(JSON.stringify({ ms, maxRssMb, layers: report.layers.length }));
  } finally {
    await strata.close();
  }
}

/** A PGlite pull into a data directory made (and migrated) by an earlier process; the directory is removed after. */
async function pglitePull(ref: string): Promise<Measure & { layers: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-pglite-'));
  try {
    await strataPull('pglite', 'prepare', dataDir);
    return await strataPull('pglite', ref, dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The floor: fetch, gunzip, parse the tar, hash every file; nothing kept. */
async function floor(ref: string): Promise<{ files: number; bytes: number }> {
  const image = await openImage(ref);
  let files = 0;
  let bytes = 0;
  for (const layer of image.layers) {
    const extract = tar.extract();
    const parsed = (async () => {
      for await (const entry of extract) {
        const hash = createHash('sha256');
        for await (const chunk of entry) {
          hash.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
        }
        hash.digest();
        files++;
      }
    })();
    await pipeline(Readable.from(image.openBlob(layer)), createGunzip(), extract);
    await parsed;
  }
  return { files, bytes };
}

export async function runPullBench(): Promise<void> {
  let layout = largeFixtureLayout();
  if (!layout) {
    console.log('building the large fixture once (debootstrap, ~2 min): scripts/fixtures/build-large.sh');
    await run('sh', [join(fixtureScripts, 'build-large.sh')], { maxBuffer: 64 * 1024 * 1024 });
    layout = largeFixtureLayout();
    if (!layout) throw new Error('the large fixture was not built');
  }
  const stats = JSON.parse(await readFile(join(dirname(layout), 'stats.json'), 'utf8')) as {
    entries: number;
    bytes: number;
    release: string;
  };
  const registry = await startRegistry();
  const work = await mkdtemp(join(tmpdir(), 'strata-bench-pull-'));
  try {
    const ref = `${registry.host}/large/debian:oci`;
    await skopeo(['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:large`, `docker://${ref}`]);
    const image = await openImage(ref);
    const compressed = image.layers.reduce((n, l) => n + l.size, 0);

    let copy: Measure = { ms: 0 };
    let unpack: Measure = { ms: 0 };
    for (let i = 0; i < runs; i++) {
      const dir = join(work, `skopeo-${i}`);
      const c = await command('skopeo', [
        '--policy',
        join(dirname(layout), '..', 'skopeo-policy.json'),
        'copy',
        '--quiet',
        '--src-tls-verify=false',
        `docker://${ref}`,
        `oci:${dir}:large`,
      ]);
      const u = await command('umoci', ['unpack', '--image', `${dir}:large`, join(work, `bundle-${i}`)]);
      if (i === 0 || c.ms + u.ms < copy.ms + unpack.ms) {
        copy = c;
        unpack = u;
      }
      await rm(join(work, `bundle-${i}`), { recursive: true, force: true });
    }
    let tarBytes = 0;
    let files = 0;
    const floorTime = await best(() =>
      timed(async () => {
        ({ bytes: tarBytes, files } = await floor(ref));
      }),
    );
    const baseline = await strataPull('postgres', 'baseline');
    const pgliteDir = await mkdtemp(join(tmpdir(), 'strata-bench-pglite-'));
    const pgliteCreate = await strataPull('pglite', 'prepare', pgliteDir);
    const pgliteBaseline = await strataPull('pglite', 'baseline', pgliteDir);
    await rm(pgliteDir, { recursive: true, force: true });
    const postgres = await best(() => strataPull('postgres', ref));
    const pglite = await best(() => pglitePull(ref));

    const tools = copy.ms + unpack.ms;
    const mb = (n: number) => n / 1e6;
    const row = (what: string, m: Measure) => ({
      what,
      'wall s': m.ms / 1000,
      'MB/s (gzip)': mb(compressed) / (m.ms / 1000),
      'MB/s (content)': mb(tarBytes) / (m.ms / 1000),
      'peak RSS MB': m.maxRssMb ?? '',
      'vs skopeo+umoci': m.ms / tools,
      'vs floor': m.ms / floorTime.ms,
    });
    printTable(
      `pull of ${stats.release} minbase: ${image.layers.length} layer(s), ${stats.entries.toLocaleString('en-US')} entries, ${files.toLocaleString('en-US')} tar entries, ${mb(tarBytes).toFixed(1)} MB of file content, ${mb(compressed).toFixed(1)} MB gzip (${runs} run(s), best kept)`,
      [
        row('Strata pull → PostgreSQL', postgres),
        row('Strata pull → PGlite (on disk)', pglite),
        row('skopeo copy', copy),
        row('umoci unpack', unpack),
        row('skopeo copy + umoci unpack', { ms: tools }),
        row('floor (fetch+gunzip+tar+sha256)', floorTime),
      ],
    );
    console.log(
      `peak RSS of an idle child (node + tsx + Strata's modules, PostgreSQL opened): ${baseline.maxRssMb?.toFixed(0)} MB; with an existing PGlite data directory opened: ${pgliteBaseline.maxRssMb?.toFixed(0)} MB (creating one: ${pgliteCreate.maxRssMb?.toFixed(0)} MB, in an earlier process)`,
    );
    console.log(
      `targets: Strata ≤ 0.5 × skopeo+umoci (PostgreSQL ${(postgres.ms / tools).toFixed(2)}, PGlite ${(pglite.ms / tools).toFixed(2)}); peak RSS < 200 MB (PostgreSQL ${postgres.maxRssMb?.toFixed(0)} MB, PGlite ${pglite.maxRssMb?.toFixed(0)} MB)`,
    );
    const halfTools = tools / 2;
    if (halfTools < floorTime.ms) {
      console.log(
        `note: 0.5 × skopeo+umoci is ${(halfTools / 1000).toFixed(2)} s, below the floor measured in this run (${(floorTime.ms / 1000).toFixed(2)} s: fetch + gunzip + tar + sha256, nothing stored), so no pull can meet that target on this machine; the one that applies is "as close to the floor as you can get": PostgreSQL ${(postgres.ms / floorTime.ms).toFixed(2)} × floor, PGlite ${(pglite.ms / floorTime.ms).toFixed(2)} × floor`,
      );
    }
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [flag, backend, ref, dataDir] = process.argv.slice(2);
  if (flag === '--child') await child(backend as 'postgres' | 'pglite', ref!, dataDir ?? '');
  else await runPullBench();
}
