/**
 * Merged views at scale and time travel (issue: the layer engine).
 * - A 128-layer image of ~10k files against a 1-layer image of the same files: path lookup,
 *   directory listing, full recursive listing. Chains are materialised per top ChainID, so a
 *   lookup is one index probe whatever the depth.
 * - As-of lookups on a container's file when the store holds 10k and then 1M events, against the
 *   current lookup in the same run.
 */
import { pathToFileURL } from 'node:url';
import { createContainerFrom } from '../src/app/containers.ts';
import { writeFile } from '../src/app/files.ts';
import { importImage } from '../src/app/importImage.ts';
import type { Strata } from '../src/app/openStrata.ts';
import { appendMulti } from '../src/eventStore/appendToStream.ts';
import { lastPosition } from '../src/eventStore/head.ts';
import { clearChainCache, FileView } from '../src/projections/fileView.ts';
import { findContainer } from '../src/projections/queries/containers.ts';
import { findImage } from '../src/projections/queries/images.ts';
import { memoryImage } from '../test/support/memoryImage.ts';
import { dir, file, type TarEntrySpec, whiteout } from '../test/support/tarBuilder.ts';
import { benchStrata } from './support/backend.ts';
import { percentiles, printTable, timeEach } from './support/table.ts';

const layerCount = 128;
const filesPerLayer = 80;

function deepLayers(): TarEntrySpec[][] {
  const layers: TarEntrySpec[][] = [];
  for (let i = 0; i < layerCount; i++) {
    const entries: TarEntrySpec[] = [dir(`d${i % 16}`), dir(`d${i % 16}/l${i}`)];
    for (let j = 0; j < filesPerLayer; j++)
      entries.push(file(`d${i % 16}/l${i}/f${j}`, `layer ${i} file ${j}`));
    entries.push(file('etc/shared', `version ${i}`));
    if (i % 10 === 9) entries.push(whiteout(`d${(i - 1) % 16}/l${i - 1}/f0`));
    layers.push(entries);
  }
  return layers;
}

const flatLayer = (): TarEntrySpec[][] => [
  deepLayers()
    .flat()
    .filter((e) => !e.name.includes('.wh.')),
];

async function viewOf(strata: Strata, tag: string) {
  const image = (await findImage(strata.db, tag))!;
  return new FileView(strata.db, image.top_chain_id);
}

async function measureViews(strata: Strata, tag: string) {
  clearChainCache();
  const view = await viewOf(strata, tag);
  const layerDir = (l: number) => `/d${l % 16}/l${l}`;
  const paths = Array.from(
    { length: 2000 },
    (_, k) => `${layerDir((k * 7) % layerCount)}/f${1 + ((k * 13) % (filesPerLayer - 1))}`,
  );
  // Every path once: the database path, not the cross-request cache of chain views.
  const lookups = percentiles(await timeEach(paths.length, (i) => view.lookup(paths[i]!)));
  const listings = percentiles(await timeEach(200, (i) => view.list(layerDir((i * 5) % layerCount))));
  const start = performance.now();
  let total = 0;
  let after: string | undefined;
  for (;;) {
    const page = await view.files('/', 1000, after);
    total += page.entries.length;
    if (!page.hasNextPage) break;
    after = page.entries.at(-1)!.node.path;
  }
  return { lookups, listings, fullMs: performance.now() - start, total };
}

async function deepImageBench(kind: 'pglite' | 'postgres') {
  const strata = await benchStrata(kind);
  try {
    const t0 = performance.now();
    await importImage(strata, memoryImage(deepLayers(), { tag: 'deep:128' }));
    const importMs = performance.now() - t0;
    await importImage(strata, memoryImage(flatLayer(), { tag: 'flat:1' }));
    const deep = await measureViews(strata, 'deep:128');
    const flat = await measureViews(strata, 'flat:1');
    return [
      {
        backend: kind,
        image: '1 layer',
        files: flat.total,
        'lookup p50 ms': flat.lookups.p50,
        'lookup p99 ms': flat.lookups.p99,
        'list p50 ms': flat.listings.p50,
        'full listing ms': flat.fullMs,
        ratio: '1.00',
        'import ms': 0,
      },
      {
        backend: kind,
        image: `${layerCount} layers`,
        files: deep.total,
        'lookup p50 ms': deep.lookups.p50,
        'lookup p99 ms': deep.lookups.p99,
        'list p50 ms': deep.listings.p50,
        'full listing ms': deep.fullMs,
        ratio: (deep.lookups.mean / flat.lookups.mean).toFixed(2),
        'import ms': importMs,
      },
    ];
  } finally {
    await strata.close();
  }
}

async function fillTo(strata: Strata, target: number) {
  const batch = 2000;
  let current = await lastPosition(strata.db);
  let n = current;
  while (current < target) {
    const events = Array.from({ length: batch }, (_, i) => ({ type: 'BenchFiller', data: { i } }));
    const result = await appendMulti(strata.db, [
      { stream: `bench-filler-${n++}`, events, expectedVersion: 'no_stream' },
    ]);
    current = result.position;
  }
}

async function timeTravelBench(kind: 'pglite' | 'postgres', sizes: number[]) {
  const strata = await benchStrata(kind);
  try {
    await importImage(strata, memoryImage([[dir('etc'), file('etc/hosts', 'localhost')]], { tag: 'tt:1' }));
    await createContainerFrom(strata, { image: 'tt:1', name: 'tt' });
    const checkpoints: number[] = [];
    for (let i = 0; i < 200; i++) {
      await writeFile(strata, 'tt', { path: `/data/file${i % 20}`, content: `version ${i}` });
      if (i === 50) checkpoints.push(await lastPosition(strata.db));
    }
    const oldPosition = checkpoints[0]!;
    const container = (await findContainer(strata.db, 'tt'))!;
    const image = (await findImage(strata.db, 'tt:1'))!;
    const rows = [];
    for (const size of sizes) {
      await fillTo(strata, size);
      const now = new FileView(strata.db, image.top_chain_id, {
        containerId: container.container_id,
        asOf: undefined,
      });
      const past = new FileView(strata.db, image.top_chain_id, {
        containerId: container.container_id,
        asOf: oldPosition,
      });
      await timeEach(300, (i) => past.lookup(`/data/file${i % 20}`));
      const current = percentiles(await timeEach(1000, (i) => now.lookup(`/data/file${i % 20}`)));
      const asOf = percentiles(await timeEach(1000, (i) => past.lookup(`/data/file${i % 20}`)));
      rows.push({
        backend: kind,
        events: await lastPosition(strata.db),
        'current p50 ms': current.p50,
        'as-of p50 ms': asOf.p50,
        'as-of p99 ms': asOf.p99,
        'as-of / current': (asOf.mean / current.mean).toFixed(2),
      });
    }
    const base = rows[0]!;
    return rows.map((r) => ({
      ...r,
      'vs smallest history': (Number(r['as-of p50 ms']) / Number(base['as-of p50 ms'])).toFixed(2),
    }));
  } finally {
    await strata.close();
  }
}

export async function runViewsBench(): Promise<void> {
  const deep = process.env.BENCH_SKIP_DEEP
    ? []
    : [...(await deepImageBench('pglite')), ...(await deepImageBench('postgres'))];
  printTable(
    `Merged views: ${layerCount}-layer image vs the same files in 1 layer (ratio = mean lookup time / 1-layer)`,
    deep,
  );
  if (process.env.BENCH_SKIP_TRAVEL) return;
  const travel = [
    ...(await timeTravelBench('postgres', [10_000, 1_000_000])),
    ...(await timeTravelBench('pglite', [10_000, 100_000])),
  ];
  printTable('Time travel: a container file as of an old position, by history length', travel);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runViewsBench();
