/**
 * Random VALID histories for time-travel property tests, made by running the real deciders the way
 * the app layer would: a small world of 2–4 layers (real tars) and 1–3 images over them, then a
 * random sequence of container, filesystem and image commands. Every step keeps the command (in a
 * form the command handlers can replay) and the events the deciders produced for it; a refused
 * command (Docker's error) is kept with its error code and produces no events.
 *
 *   fc.assert(fc.property(historyArbitrary({ maxSteps: 40 }), (history) => { ... }));
 *   const big = generateHistory(42, 50_000);          // seeded, no fast-check, for benchmarks
 *   replay(history.events, position, history.layerEntries)   // the oracle (oracle.ts)
 *
 * Conventions a replaying handler can rely on (they match src/app's handlers):
 * - Positions are 1, 2, 3 ... in step order, one per event, no gaps (failed steps take none).
 * - Paths in commands are canonical: normalised, and resolvePath against the container's merged
 *   view gives the same path back, with the handler's own `followFinal` (true for writeFile,
 *   appendFile, mkdir, chmod, chown; false for symlink, link, rename, remove). So no directory
 *   component is a symlink, and the commands that follow a final symlink never name one: a
 *   handler that resolves gets the path the decider got here.
 * - writeFile and appendFile create missing parents (`createParents: true`, as src/app/files.ts).
 * - The clock and generated ids travel in the step: `now` (ISO), `containerId` of a create.
 * - Content of every file (layers and writes) is in `contents` by digest; appendFile carries the
 *   piece appended, the decider got the digest of the concatenation.
 * - Containers are addressed by name (no name is all hex, so none reads as an id prefix), images
 *   by a familiar tag (`app:v1`), a familiar digest reference (`app@sha256:...`) or a full id
 *   (`sha256:<hex>`), as a user types them. An argument that names nothing fails NOT_FOUND.
 * - `pullImage` stands for an import: CreateImage (source `pull`, repo digest `<repo>@<manifest>`)
 *   then the tag, in one step; its layers were registered by earlier `registerLayer` steps.
 */
import fc from 'fast-check';
import type { ContainerCommand } from '../../src/domain/container/commands.ts';
import { decideContainer } from '../../src/domain/container/decide.ts';
import type { ContainerEvent } from '../../src/domain/container/events.ts';
import { noSuchContainer } from '../../src/domain/container/guards.ts';
import type { ContainerNameEvent } from '../../src/domain/container/names/events.ts';
import {
  type ContainerNameState,
  evolveContainerName,
  initialContainerNameState,
} from '../../src/domain/container/names/state.ts';
import { createContainer, removeContainer } from '../../src/domain/container/operations.ts';
import {
  type ContainerState,
  foldContainer,
  initialContainerState,
  isLive,
} from '../../src/domain/container/state.ts';
import {
  type LowerChildren,
  type LowerLookup,
  lookupPath,
} from '../../src/domain/container/writableLayer.ts';
import { chainIds, type Digest, sha256Digest } from '../../src/domain/digest.ts';
import { type ErrorCode, notFoundError, StrataError } from '../../src/domain/errors.ts';
import type { FsNode, LayerEntry } from '../../src/domain/fs/node.ts';
import { ancestorsOf, comparePaths, parentOf } from '../../src/domain/fs/paths.ts';
import { resolvePath } from '../../src/domain/fs/resolvePath.ts';
import { type FsTree, MutableTree } from '../../src/domain/fs/tree.ts';
import { applyLayer, ensureDirectory, mergeLayers, putNode } from '../../src/domain/fs/union.ts';
import { canonicalJson, type ImageConfig } from '../../src/domain/image/config.ts';
import { decideImage } from '../../src/domain/image/decide.ts';
import type { ImageEvent } from '../../src/domain/image/events.ts';
import { removeImage, tagImage } from '../../src/domain/image/operations.ts';
import {
  classifyImageArgument,
  familiarReference,
  normalizeTagReference,
  parseReference,
  repositoryOf,
} from '../../src/domain/image/reference.ts';
import { evolveImage, type ImageState, initialImageState } from '../../src/domain/image/state.ts';
import type { TagEvent } from '../../src/domain/image/tags/events.ts';
import { evolveTag, initialTagState, type TagState } from '../../src/domain/image/tags/state.ts';
import { decideLayer } from '../../src/domain/layer/decide.ts';
import type { LayerEvent, LayerRegisteredData } from '../../src/domain/layer/events.ts';
import { evolveLayer, initialLayerState, type LayerState } from '../../src/domain/layer/state.ts';
import { parseContainerName } from '../../src/domain/names.ts';
import {
  containerNameStream,
  containerStream,
  imageStream,
  layerStream,
  mergeStreamEvents,
  type StreamEvents,
  tagStream,
} from '../../src/domain/streams.ts';
import type { LayerEntriesOf, RecordedEvent } from './oracle.ts';
import {
  buildLayer,
  dir,
  file,
  hardlink,
  opaque,
  symlink,
  type TarEntrySpec,
  whiteout,
} from './tarBuilder.ts';

// ---------------------------------------------------------------------------------------------
// Commands, steps, histories

/** `docker pull` of an image whose layers are registered: the image, its repo digest, the tag. */
export type PullImage = { kind: 'pullImage'; config: string; manifestDigest: Digest; reference?: string };

export type HistoryCommand =
  | { kind: 'registerLayer'; layer: GeneratedLayer }
  | PullImage
  | { kind: 'tagImage'; source: string; target: string }
  | { kind: 'removeImage'; image: string; force: boolean }
  | { kind: 'createContainer'; containerId: string; name: string; image: string; cmd?: string[] }
  | { kind: 'startContainer'; container: string }
  | { kind: 'stopContainer'; container: string; exitCode: number }
  | { kind: 'restartContainer'; container: string; exitCode: number }
  | { kind: 'pauseContainer'; container: string }
  | { kind: 'unpauseContainer'; container: string }
  | { kind: 'removeContainer'; container: string; force: boolean }
  | { kind: 'writeFile'; container: string; path: string; content: string }
  | { kind: 'appendFile'; container: string; path: string; content: string }
  | { kind: 'mkdir'; container: string; path: string; parents: boolean; mode?: number }
  | { kind: 'symlink'; container: string; path: string; target: string }
  | { kind: 'link'; container: string; path: string; target: string }
  | { kind: 'chmod'; container: string; path: string; mode: number }
  | { kind: 'chown'; container: string; path: string; uid: number; gid: number }
  | { kind: 'rename'; container: string; from: string; to: string }
  | { kind: 'remove'; container: string; path: string; recursive: boolean };

export type CommandKind = HistoryCommand['kind'];

export interface HistoryStep {
  /** 0-based, setup steps included. */
  index: number;
  /** The command's clock (ISO). */
  now: string;
  command: HistoryCommand;
  /** What the deciders produced, positioned; empty for a refused command (and for no-ops). */
  events: RecordedEvent[];
  /** Docker's refusal, when the command failed. */
  error?: { code: ErrorCode; message: string };
  /** The last position once the step is done (the previous step's when it appended nothing). */
  position: number;
}

export interface GeneratedLayer {
  /** Index in History.layers. */
  index: number;
  /** The layer it was built on top of (its lower stack ends there), if any. */
  parent: number | undefined;
  /** DiffIDs of its stack, base first, itself last. */
  stack: Digest[];
  diffId: Digest;
  /** Entries as readLayer returns them for `tar` (tar order). */
  entries: LayerEntry[];
  specs: TarEntrySpec[];
  tar: Uint8Array;
  /** The gzip blob a registry would serve, and its digest. */
  blob: Uint8Array;
  digest: Digest;
  mediaType: string;
  /** The LayerRegistered data the history records for it. */
  registered: LayerRegisteredData;
}

export interface CatalogueImage {
  imageId: Digest;
  config: string;
  diffIds: Digest[];
  chainIds: Digest[];
  manifestDigest: Digest;
}

export interface History {
  layers: GeneratedLayer[];
  images: CatalogueImage[];
  steps: HistoryStep[];
  /** Every event of every step, in position order. */
  events: RecordedEvent[];
  lastPosition: number;
  /** File contents by digest (layer files and written files). */
  contents: ReadonlyMap<Digest, string>;
  layerEntries: LayerEntriesOf;
}

// ---------------------------------------------------------------------------------------------
// Choices: where randomness comes from (fast-check arrays, which shrink, or a seeded PRNG)

export interface Choices {
  /** An integer in [0, n). 0 is always the "simplest" option. */
  int(n: number): number;
}

/** Reads fast-check's numbers in turn; once they run out every answer is 0. */
export class ArrayChoices implements Choices {
  private i = 0;
  constructor(private readonly values: readonly number[]) {}
  int(n: number): number {
    if (n <= 1) return 0;
    const v = this.values[this.i++];
    return v === undefined ? 0 : v % n;
  }
}

/** mulberry32: fast, seedable, good enough to pick commands. */
export class SeededChoices implements Choices {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor(this.next() * n);
  }
}

const pick = <T>(ch: Choices, items: readonly T[]): T => items[ch.int(items.length)]!;

function weighted<T>(ch: Choices, menu: readonly (readonly [T, number])[]): T {
  const total = menu.reduce((n, [, w]) => n + w, 0);
  let r = ch.int(total);
  for (const [item, w] of menu) {
    if (r < w) return item;
    r -= w;
  }
  return menu[0]![0];
}

// ---------------------------------------------------------------------------------------------
// The small world's vocabulary

/** No name is all hex digits, so none can be mistaken for a container id prefix. */
export const containerNamePool = ['web', 'redis', 'cache', 'worker', 'api'] as const;
/** As a user types them (familiar form). */
export const referencePool = ['alpine', 'alpine:3', 'app:v1', 'app:v2', 'example.com/team/tool:v1'] as const;
const segments = ['a', 'b', 'c', 'd'];
/** Every path of depth 1..3 over four names: layers and commands draw their paths from here. */
export const pathPool: readonly string[] = (() => {
  const out: string[] = [];
  const walk = (prefix: string, depth: number) => {
    for (const s of segments) {
      const p = `${prefix}/${s}`;
      out.push(p);
      if (depth < 3) walk(p, depth + 1);
    }
  };
  walk('', 1);
  return out.sort(comparePaths);
})();
const contentPool = ['', 'hello\n', 'world\n', '#!/bin/sh\necho hi\n', 'x'];
const exitCodes = [0, 0, 1, 137, 143];
const fileModes = [0o644, 0o755, 0o600, 0o4755];
const dirModes = [0o755, 0o700, 0o775];
const ids = [0, 0, 1000, 33];
const baseTime = Date.parse('2026-01-01T00:00:00.000Z');
const layerMediaType = 'application/vnd.oci.image.layer.v1.tar+gzip';

// ---------------------------------------------------------------------------------------------
// Layers: random changesets that readLayer accepts and that merge the same in spec and moby mode

/** A canonical string of a node, to compare trees whatever the key order of their objects. */
export const nodeKey = (n: FsNode): string =>
  [
    n.path,
    n.type,
    n.mode,
    n.uid,
    n.gid,
    n.size,
    n.digest ?? '',
    n.linkTarget ?? '',
    n.devMajor ?? '',
    n.devMinor ?? '',
    n.mtime,
  ].join('|');

export function treesEqual(a: ReadonlyMap<string, FsNode>, b: ReadonlyMap<string, FsNode>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, node] of a) {
    const other = b.get(path);
    if (!other || nodeKey(node) !== nodeKey(other)) return false;
  }
  return true;
}

/**
 * What readLayer would make of a tar holding `entries` (rules of src/layers/readLayer.ts): the
 * layer applied alone to an empty tree, hardlinks to targets that come later refused, nothing
 * placed under a symlink of the same tar. Returns the accepted node (hardlinks completed with the
 * size and digest of a target earlier in the tar) or undefined when readLayer would refuse it.
 */
class LayerAlone {
  readonly tree = new MutableTree();
  private readonly externalTargets = new Set<string>();

  accept(entry: LayerEntry): LayerEntry | undefined {
    const path = entry.kind === 'node' ? entry.node.path : entry.path;
    // The tar path of an opaque marker lies inside its directory: that directory is a parent too.
    const parents = entry.kind === 'opaque' ? [...ancestorsOf(path), path] : ancestorsOf(path);
    for (const ancestor of parents) if (this.tree.get(ancestor)?.type === 'symlink') return undefined;
    if (entry.kind !== 'node') {
      ensureDirectory(this.tree, entry.kind === 'opaque' ? entry.path : parentOf(entry.path));
      return entry;
    }
    if (this.externalTargets.has(path)) return undefined;
    let node = entry.node;
    if (node.type === 'hardlink') {
      const target = node.linkTarget!;
      if (target === path) return undefined;
      for (const ancestor of ancestorsOf(target))
        if (this.tree.get(ancestor)?.type === 'symlink') return undefined;
      const existing = this.tree.get(target);
      if (existing?.type === 'dir') return undefined;
      node = { ...node, size: existing?.size ?? 0 };
      delete node.digest;
      if (existing?.digest !== undefined) node.digest = existing.digest;
      if (!existing) this.externalTargets.add(target);
    }
    putNode(this.tree, node);
    return { kind: 'node', node };
  }
}

function specOf(entry: LayerEntry, mtime: number, contentOf: (d: Digest) => string): TarEntrySpec {
  if (entry.kind === 'whiteout') return whiteout(entry.path.slice(1), { mtime });
  if (entry.kind === 'opaque') return opaque(entry.path.slice(1), { mtime });
  const n = entry.node;
  const options = { mode: n.mode, uid: n.uid, gid: n.gid, mtime: n.mtime };
  const rel = n.path.slice(1);
  switch (n.type) {
    case 'dir':
      return dir(rel, options);
    case 'file':
      return file(rel, contentOf(n.digest!), options);
    case 'symlink':
      return symlink(rel, n.linkTarget!, options);
    case 'hardlink':
      return hardlink(rel, n.linkTarget!.slice(1), options);
    default:
      throw new Error(`no tar spec for ${n.type}`);
  }
}

function generateLayerEntries(
  ch: Choices,
  lower: FsTree,
  mtime: number,
  contents: Map<Digest, string>,
): LayerEntry[] {
  const entries: LayerEntry[] = [];
  const lowerPaths = [...lower.keys()].filter((p) => p !== '/');
  const count = 1 + ch.int(8);
  let attempts = 0;
  while (entries.length < count && attempts++ < count * 6) {
    const kind = weighted(ch, [
      ['file', 5],
      ['dir', 3],
      ['symlink', 2],
      ['whiteout', 2],
      ['hardlink', 1],
      ['opaque', 1],
    ] as const);
    const anyPath = () => pick(ch, pathPool);
    const lowerOr = (filter: (n: FsNode) => boolean) => {
      const found = lowerPaths.filter((p) => filter(lower.get(p)!));
      return found.length > 0 && ch.int(4) !== 0 ? pick(ch, found) : anyPath();
    };
    const owner = { uid: pick(ch, ids), gid: pick(ch, ids), mtime };
    let candidate: LayerEntry;
    switch (kind) {
      case 'file': {
        const content = ch.int(3) === 0 ? `layer file ${ch.int(1000)}\n` : pick(ch, contentPool);
        const digest = sha256Digest(content);
        contents.set(digest, content);
        candidate = {
          kind: 'node',
          node: {
            path: anyPath(),
            type: 'file',
            mode: pick(ch, fileModes),
            ...owner,
            size: Buffer.byteLength(content),
            digest,
          },
        };
        break;
      }
      case 'dir':
        candidate = {
          kind: 'node',
          node: {
            path: lowerOr((n) => n.type === 'dir'),
            type: 'dir',
            mode: pick(ch, dirModes),
            ...owner,
            size: 0,
          },
        };
        break;
      case 'symlink': {
        const target = pick(ch, [...pathPool.slice(0, 8), '../b', 'c', 'a/b', '/nowhere']);
        candidate = {
          kind: 'node',
          node: { path: anyPath(), type: 'symlink', mode: 0o777, ...owner, size: 0, linkTarget: target },
        };
        break;
      }
      case 'hardlink': {
        const targets = [
          ...lowerPaths.filter((p) => lower.get(p)!.type !== 'dir'),
          ...entries.flatMap((e) => (e.kind === 'node' && e.node.type !== 'dir' ? [e.node.path] : [])),
        ];
        if (targets.length === 0) continue;
        candidate = {
          kind: 'node',
          node: {
            path: anyPath(),
            type: 'hardlink',
            mode: 0o644,
            ...owner,
            size: 0,
            linkTarget: pick(ch, targets),
          },
        };
        break;
      }
      case 'whiteout':
        candidate = { kind: 'whiteout', path: lowerOr(() => true) };
        break;
      case 'opaque':
        candidate = { kind: 'opaque', path: lowerOr((n) => n.type === 'dir') };
        break;
    }
    const trial = new LayerAlone();
    let accepted: LayerEntry | undefined;
    const prefix: LayerEntry[] = [];
    let ok = true;
    for (const e of [...entries, candidate]) {
      const a = trial.accept(e);
      if (!a) {
        ok = false;
        break;
      }
      prefix.push(a);
      accepted = a;
    }
    if (!ok || !accepted) continue;
    try {
      const spec = applyLayer(lower, prefix, { whiteoutMode: 'spec' });
      const moby = applyLayer(lower, prefix, { whiteoutMode: 'moby' });
      if (!treesEqual(spec, moby)) continue;
    } catch (error) {
      if (error instanceof StrataError) continue;
      throw error;
    }
    entries.push(accepted);
  }
  if (entries.length === 0) {
    // Every candidate was refused (rare): a plain file keeps the layer non-empty and unique.
    const content = `layer at ${mtime}\n`;
    const digest = sha256Digest(content);
    contents.set(digest, content);
    entries.push({
      kind: 'node',
      node: {
        path: `/layer-${mtime}`,
        type: 'file',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: Buffer.byteLength(content),
        digest,
        mtime,
      },
    });
  }
  return entries;
}

export interface WorldSetup {
  layers: GeneratedLayer[];
  images: CatalogueImage[];
  /** The reference each catalogue image is first pulled with. */
  pulls: PullImage[];
}

/**
 * A layer from its entries (tar order): the tar readLayer would read them from, the gzip blob, and
 * the LayerRegistered data. Hardlinks are completed as readLayer completes them (size and digest
 * of a target earlier in the tar); an entry readLayer would refuse is an error. File contents
 * come from `contents` by digest. Every entry's tar header gets `mtime` (whiteouts too), so two
 * layers with equal entries but different mtimes have different DiffIDs.
 */
export function makeLayer(
  entries: readonly LayerEntry[],
  options: { index: number; parent?: GeneratedLayer; mtime: number; contents: ReadonlyMap<Digest, string> },
): GeneratedLayer {
  const alone = new LayerAlone();
  const completed = entries.map((e) => {
    const accepted = alone.accept(e);
    if (!accepted) throw new Error(`readLayer would refuse the layer entry ${JSON.stringify(e)}`);
    return accepted;
  });
  const specs = completed.map((e) =>
    specOf(e, options.mtime, (d) => {
      const content = options.contents.get(d);
      if (content === undefined) throw new Error(`no content for ${d}`);
      return content;
    }),
  );
  const built = buildLayer(specs, { compression: 'gzip' });
  const registered: LayerRegisteredData = {
    diffId: built.diffId,
    digest: built.digest,
    mediaType: layerMediaType,
    size: built.size,
    compressedSize: built.compressedSize,
    entryCount: completed.length,
    entriesDigest: sha256Digest(JSON.stringify(completed)),
    contentSize: completed.reduce(
      (n, e) => n + (e.kind === 'node' && e.node.type === 'file' ? e.node.size : 0),
      0,
    ),
  };
  return {
    index: options.index,
    parent: options.parent?.index,
    stack: [...(options.parent?.stack ?? []), built.diffId],
    diffId: built.diffId,
    entries: completed,
    specs,
    tar: built.tar,
    blob: built.blob,
    digest: built.digest,
    mediaType: layerMediaType,
    registered,
  };
}

/** An image config over `diffIds` (canonical JSON), its id and a manifest digest to pull it with. */
export function catalogueImage(
  diffIds: readonly Digest[],
  label: string,
  created = '2025-12-01T00:00:00.000Z',
): CatalogueImage {
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created,
    config: { Cmd: ['/bin/sh'], Env: [`IMAGE=${label}`] },
    rootfs: { type: 'layers', diff_ids: [...diffIds] },
    history: diffIds.map((_, k) => ({ created_by: `RUN step ${k}` })),
  };
  const text = canonicalJson(config);
  const imageId = sha256Digest(text);
  return {
    imageId,
    config: text,
    diffIds: [...diffIds],
    chainIds: chainIds(diffIds),
    manifestDigest: sha256Digest(`manifest of ${imageId}`),
  };
}

/** 2–4 layers built on one another (a tree: some share a base), 1–3 images over them. */
export function generateWorld(ch: Choices, contents: Map<Digest, string>): WorldSetup {
  const layers: GeneratedLayer[] = [];
  const trees: FsTree[] = [];
  const count = 2 + ch.int(3);
  for (let i = 0; i < count; i++) {
    const choice = i === 0 ? -1 : i - 1 - ch.int(i + 1);
    const parent = choice < 0 ? undefined : layers[choice]!;
    const lower = parent === undefined ? mergeLayers([]) : trees[parent.index]!;
    const mtime = 1_700_000_000 + i * 1000;
    const entries = generateLayerEntries(ch, lower, mtime, contents);
    layers.push(makeLayer(entries, { index: i, ...(parent && { parent }), mtime, contents }));
    trees.push(applyLayer(lower, entries));
  }

  const tops = [...layers.keys()].reverse();
  const imageCount = 1 + ch.int(3);
  const images: CatalogueImage[] = [];
  const pulls: PullImage[] = [];
  for (let j = 0; j < imageCount && tops.length > 0; j++) {
    const top = tops.splice(ch.int(tops.length), 1)[0]!;
    const created = new Date(baseTime - (imageCount - j) * 86_400_000).toISOString();
    const image = catalogueImage(layers[top]!.stack, String(j), created);
    images.push(image);
    const reference = referencePool[(j + ch.int(referencePool.length)) % referencePool.length]!;
    pulls.push({ kind: 'pullImage', config: image.config, manifestDigest: image.manifestDigest, reference });
  }
  return { layers, images, pulls };
}

// ---------------------------------------------------------------------------------------------
// The builder: an in-memory app layer over the deciders

type AnyEvent = LayerEvent | ImageEvent | TagEvent | ContainerEvent | ContainerNameEvent;

interface ImageView {
  tree: FsTree;
  lower: LowerLookup;
  lowerChildren: LowerChildren;
}

/**
 * Runs commands as the app layer would (resolve names and references, read the states involved,
 * decide, append) and records each as a step. Paths must be canonical (see the file comment);
 * a non-canonical path is a programming error of the history, not a Docker refusal.
 */
export class HistoryBuilder {
  readonly steps: HistoryStep[] = [];
  readonly events: RecordedEvent[] = [];
  readonly contents = new Map<Digest, string>();
  readonly layers = new Map<Digest, GeneratedLayer>();
  /** When false, steps are not kept (only events): for very long benchmark histories. */
  keepSteps = true;

  private position = 0;
  private stepCount = 0;
  private containerCounter = 0;
  private readonly layerStates = new Map<string, LayerState>();
  private readonly imageStates = new Map<string, ImageState>();
  private readonly tagStates = new Map<string, TagState>();
  private readonly nameStates = new Map<string, ContainerNameState>();
  private readonly containerStates = new Map<string, ContainerState>();
  private readonly views = new Map<Digest, ImageView>();

  constructor(private readonly idSalt = 'history') {}

  get lastPosition(): number {
    return this.position;
  }

  layerEntries: LayerEntriesOf = (diffId) => {
    const layer = this.layers.get(diffId);
    if (!layer) throw new Error(`no generated layer ${diffId}`);
    return layer.entries;
  };

  /** A fresh container id (64 hex), deterministic for the builder's salt. */
  nextContainerId(): string {
    return sha256Digest(`${this.idSalt} container ${this.containerCounter++}`).slice('sha256:'.length);
  }

  run(command: HistoryCommand): HistoryStep {
    const index = this.stepCount++;
    const now = new Date(baseTime + index * 1000).toISOString();
    let decisions: StreamEvents<AnyEvent>[];
    try {
      decisions = this.decide(command, now);
    } catch (error) {
      if (!(error instanceof StrataError)) throw error;
      const step: HistoryStep = {
        index,
        now,
        command,
        events: [],
        error: { code: error.code, message: error.message },
        position: this.position,
      };
      if (this.keepSteps) this.steps.push(step);
      return step;
    }
    const events: RecordedEvent[] = [];
    for (const { stream, events: list } of decisions) {
      for (const event of list)
        events.push({ stream, position: ++this.position, type: event.type, data: event.data });
      this.evolve(stream, list);
    }
    this.events.push(...events);
    const step: HistoryStep = { index, now, command, events, position: this.position };
    if (this.keepSteps) this.steps.push(step);
    return step;
  }

  // --- what the app layer reads -------------------------------------------------------------

  imageState(imageId: Digest): ImageState {
    return this.imageStates.get(imageStream(imageId)) ?? initialImageState();
  }

  presentImages(): Extract<ImageState, { status: 'present' }>[] {
    return [...this.imageStates.values()].filter(
      (s): s is Extract<ImageState, { status: 'present' }> => s.status === 'present',
    );
  }

  /** Assigned tags: normalised reference → image id. */
  assignedTags(): Map<string, Digest> {
    const out = new Map<string, Digest>();
    for (const s of this.tagStates.values()) if (s.status === 'assigned') out.set(s.reference, s.imageId);
    return out;
  }

  /** Claimed names → container id. */
  claimedNames(): Map<string, string> {
    const out = new Map<string, string>();
    for (const s of this.nameStates.values()) if (s.status === 'claimed') out.set(s.name, s.containerId);
    return out;
  }

  containerState(containerId: string): ContainerState {
    return this.containerStates.get(containerStream(containerId)) ?? initialContainerState();
  }

  /** The image's merged view (layers merged with the union rules), cached per image. */
  imageView(imageId: Digest): ImageView {
    let view = this.views.get(imageId);
    if (!view) {
      const state = this.imageState(imageId);
      if (state.status === 'absent') throw new Error(`no image ${imageId}`);
      const tree = mergeLayers(state.image.diffIds.map((d) => this.layerEntries(d)));
      const children = new Map<string, FsNode[]>();
      for (const node of tree.values()) {
        if (node.path === '/') continue;
        const list = children.get(parentOf(node.path)) ?? [];
        list.push(node);
        children.set(parentOf(node.path), list);
      }
      for (const list of children.values()) list.sort((a, b) => comparePaths(a.path, b.path));
      view = { tree, lower: (p) => tree.get(p), lowerChildren: (d) => children.get(d) ?? [] };
      this.views.set(imageId, view);
    }
    return view;
  }

  /** `lookup(path)` in a live container's merged view, or undefined when the name holds none. */
  containerView(
    name: string,
  ):
    | { containerId: string; lookup: (path: string) => FsNode | undefined; upperPaths: () => string[] }
    | undefined {
    const containerId = this.claimedNames().get(name);
    if (containerId === undefined) return undefined;
    const state = this.containerState(containerId);
    if (!isLive(state)) return undefined;
    const { lower } = this.imageView(state.container.imageId);
    return {
      containerId,
      lookup: (p) => lookupPath(state.layer, lower, p),
      upperPaths: () => [...state.layer.entries].filter(([, e]) => e.kind === 'node').map(([p]) => p),
    };
  }

  /** The image an argument names (full id, tag or digest reference), if present. */
  resolveImage(argument: string): Digest | undefined {
    const classified = classifyImageArgument(argument);
    if (classified.kind === 'id') {
      const id = classified.imageId as Digest;
      return this.imageState(id).status === 'present' ? id : undefined;
    }
    const reference = classified.reference;
    if (parseReference(reference).digest !== undefined) {
      return this.presentImages().find((s) => s.references.includes(reference))?.image.imageId;
    }
    const tag = this.tagStates.get(tagStream(reference));
    return tag?.status === 'assigned' ? tag.imageId : undefined;
  }

  // --- deciding --------------------------------------------------------------------------------

  private decide(command: HistoryCommand, now: string): StreamEvents<AnyEvent>[] {
    switch (command.kind) {
      case 'registerLayer': {
        const { layer } = command;
        this.layers.set(layer.diffId, layer);
        for (const e of layer.entries) {
          if (e.kind === 'node' && e.node.type === 'file' && !this.contents.has(e.node.digest!)) {
            throw new Error(`layer ${layer.diffId}: content of ${e.node.path} unknown`);
          }
        }
        const stream = layerStream(layer.diffId);
        const state = this.layerStates.get(stream) ?? initialLayerState();
        return [{ stream, events: decideLayer({ type: 'RegisterLayer', data: layer.registered }, state) }];
      }
      case 'pullImage': {
        const imageId = sha256Digest(command.config);
        const config = JSON.parse(command.config) as ImageConfig;
        for (const d of config.rootfs.diff_ids)
          if (!this.layers.has(d)) throw new Error(`pull of ${imageId}: layer ${d} not registered`);
        const repoDigests = command.reference
          ? [`${repositoryOf(parseReference(command.reference))}@${command.manifestDigest}`]
          : [];
        const before = this.imageState(imageId);
        const created = decideImage(
          {
            type: 'CreateImage',
            data: {
              config: command.config,
              configDigest: imageId,
              manifestDigest: command.manifestDigest,
              repoDigests,
              source: 'pull',
            },
          },
          before,
        );
        const decisions: StreamEvents<AnyEvent>[] = [{ stream: imageStream(imageId), events: created }];
        if (command.reference) {
          const after = created.reduce(evolveImage, before);
          const tag =
            this.tagStates.get(tagStream(normalizeTagReference(command.reference))) ?? initialTagState();
          decisions.push(...tagImage({ reference: command.reference, imageId }, { image: after, tag }));
        }
        return mergeStreamEvents<AnyEvent>(decisions);
      }
      case 'tagImage': {
        const imageId = this.resolveImage(command.source);
        if (!imageId) throw notFoundError(`No such image: ${command.source}`, { image: command.source });
        const tag = this.tagStates.get(tagStream(normalizeTagReference(command.target))) ?? initialTagState();
        return tagImage({ reference: command.target, imageId }, { image: this.imageState(imageId), tag });
      }
      case 'removeImage': {
        const imageId = this.resolveImage(command.image);
        if (!imageId) throw notFoundError(`No such image: ${command.image}`, { image: command.image });
        const classified = classifyImageArgument(command.image);
        const containers: { containerId: string; running: boolean }[] = [];
        for (const s of this.containerStates.values()) {
          if (!isLive(s) || s.container.imageId !== imageId) continue;
          const running = s.status === 'running' || s.status === 'paused' || s.status === 'restarting';
          containers.push({ containerId: s.container.containerId, running });
        }
        const others = this.presentImages().filter((s) => s.image.imageId !== imageId);
        return removeImage(
          {
            type: 'RemoveImage',
            data: {
              by: classified.kind,
              ...(classified.kind === 'reference' && { reference: classified.reference }),
              input: command.image,
              force: command.force,
              containers,
              childImageIds: others.filter((s) => s.image.parent === imageId).map((s) => s.image.imageId),
              chainIdsInUse: [...new Set(others.flatMap((s) => s.image.chainIds))],
            },
          },
          this.imageState(imageId),
        );
      }
      case 'createContainer': {
        const imageId = this.resolveImage(command.image);
        if (!imageId) throw notFoundError(`No such image: ${command.image}`, { image: command.image });
        const image = this.imageState(imageId);
        const cmd = command.cmd ?? (image.status === 'present' ? (image.image.config.config?.Cmd ?? []) : []);
        const name = parseContainerName(command.name);
        return createContainer(
          {
            type: 'CreateContainer',
            data: {
              containerId: command.containerId,
              now,
              name,
              imageId,
              imageReference: command.image,
              cmd: [...(cmd ?? [])],
            },
          },
          {
            container: this.containerState(command.containerId),
            name: this.nameStates.get(containerNameStream(name)) ?? initialContainerNameState(),
          },
        );
      }
      case 'removeContainer': {
        const containerId = this.containerIdOf(command.container);
        return removeContainer(
          { type: 'RemoveContainer', data: { containerId, now, force: command.force } },
          this.containerState(containerId),
        );
      }
      default:
        return this.decideOnContainer(command, now);
    }
  }

  private containerIdOf(name: string): string {
    const id = this.claimedNames().get(name.startsWith('/') ? name.slice(1) : name);
    if (id === undefined) throw noSuchContainer(name);
    return id;
  }

  private decideOnContainer(
    command: Exclude<
      HistoryCommand,
      {
        kind:
          | 'registerLayer'
          | 'pullImage'
          | 'tagImage'
          | 'removeImage'
          | 'createContainer'
          | 'removeContainer';
      }
    >,
    now: string,
  ): StreamEvents<AnyEvent>[] {
    const containerId = this.containerIdOf(command.container);
    const state = this.containerState(containerId);
    const base = { containerId, now };
    let decided: ContainerCommand;
    switch (command.kind) {
      case 'startContainer':
        decided = { type: 'StartContainer', data: base };
        break;
      case 'stopContainer':
        decided = { type: 'StopContainer', data: { ...base, exitCode: command.exitCode } };
        break;
      case 'restartContainer':
        decided = { type: 'RestartContainer', data: { ...base, exitCode: command.exitCode } };
        break;
      case 'pauseContainer':
        decided = { type: 'PauseContainer', data: base };
        break;
      case 'unpauseContainer':
        decided = { type: 'UnpauseContainer', data: base };
        break;
      default: {
        if (!isLive(state)) throw noSuchContainer(command.container);
        const { lower, lowerChildren } = this.imageView(state.container.imageId);
        const lookup = (p: string) => lookupPath(state.layer, lower, p);
        const fs = { ...base, lower };
        const canonical = (path: string, followFinal: boolean) => assertCanonical(lookup, path, followFinal);
        switch (command.kind) {
          case 'writeFile': {
            canonical(command.path, true);
            const digest = this.store(command.content);
            decided = {
              type: 'WriteFile',
              data: {
                ...fs,
                path: command.path,
                digest,
                size: Buffer.byteLength(command.content),
                append: false,
                createParents: true,
              },
            };
            break;
          }
          case 'appendFile': {
            canonical(command.path, true);
            const existing = lookup(command.path);
            let before = '';
            if (
              existing &&
              (existing.type === 'file' || existing.type === 'hardlink') &&
              existing.digest !== undefined
            ) {
              const known = this.contents.get(existing.digest);
              if (known === undefined) throw new Error(`content of ${existing.digest} unknown`);
              before = known;
            }
            const whole = before + command.content;
            const digest = this.store(whole);
            decided = {
              type: 'WriteFile',
              data: {
                ...fs,
                path: command.path,
                digest,
                size: Buffer.byteLength(whole),
                append: true,
                createParents: true,
              },
            };
            break;
          }
          case 'mkdir':
            canonical(command.path, true);
            decided = {
              type: 'MakeDirectory',
              data: {
                ...fs,
                path: command.path,
                parents: command.parents,
                ...(command.mode !== undefined && { mode: command.mode }),
              },
            };
            break;
          case 'symlink':
            canonical(command.path, false);
            decided = { type: 'CreateSymlink', data: { ...fs, path: command.path, target: command.target } };
            break;
          case 'link':
            canonical(command.path, false);
            canonical(command.target, false);
            decided = { type: 'CreateHardlink', data: { ...fs, path: command.path, target: command.target } };
            break;
          case 'chmod':
            canonical(command.path, true);
            decided = { type: 'ChangeMode', data: { ...fs, path: command.path, mode: command.mode } };
            break;
          case 'chown':
            canonical(command.path, true);
            decided = {
              type: 'ChangeOwner',
              data: { ...fs, path: command.path, uid: command.uid, gid: command.gid },
            };
            break;
          case 'rename':
            canonical(command.from, false);
            canonical(command.to, false);
            decided = {
              type: 'RenamePath',
              data: { ...fs, from: command.from, to: command.to, lowerChildren },
            };
            break;
          case 'remove':
            canonical(command.path, false);
            decided = {
              type: 'RemovePath',
              data: { ...fs, path: command.path, recursive: command.recursive, lowerChildren },
            };
            break;
        }
      }
    }
    return [{ stream: containerStream(containerId), events: decideContainer(decided, state) }];
  }

  private store(content: string): Digest {
    const digest = sha256Digest(content);
    this.contents.set(digest, content);
    return digest;
  }

  private evolve(stream: string, events: readonly AnyEvent[]): void {
    if (events.length === 0) return;
    if (stream.startsWith('container-name-')) {
      this.nameStates.set(
        stream,
        (events as ContainerNameEvent[]).reduce(
          evolveContainerName,
          this.nameStates.get(stream) ?? initialContainerNameState(),
        ),
      );
    } else if (stream.startsWith('container-')) {
      this.containerStates.set(
        stream,
        foldContainer(
          events as ContainerEvent[],
          this.containerStates.get(stream) ?? initialContainerState(),
        ),
      );
    } else if (stream.startsWith('layer-')) {
      this.layerStates.set(
        stream,
        (events as LayerEvent[]).reduce(evolveLayer, this.layerStates.get(stream) ?? initialLayerState()),
      );
    } else if (stream.startsWith('image-')) {
      this.imageStates.set(
        stream,
        (events as ImageEvent[]).reduce(evolveImage, this.imageStates.get(stream) ?? initialImageState()),
      );
    } else if (stream.startsWith('tag-')) {
      this.tagStates.set(
        stream,
        (events as TagEvent[]).reduce(evolveTag, this.tagStates.get(stream) ?? initialTagState()),
      );
    } else {
      throw new Error(`unknown stream ${stream}`);
    }
  }

  toHistory(world: { layers: GeneratedLayer[]; images: CatalogueImage[] }): History {
    const history: History = {
      layers: world.layers,
      images: world.images,
      steps: this.steps,
      events: this.events,
      lastPosition: this.position,
      contents: this.contents,
      layerEntries: this.layerEntries,
    };
    Object.defineProperty(history, fc.toStringMethod, {
      value: () => describeHistory(history),
      enumerable: false,
    });
    return history;
  }
}

/** The canonical form of `path` in a merged view, or undefined when resolving it fails (ELOOP, ENOTDIR). */
export function canonicalPath(
  lookup: (p: string) => FsNode | undefined,
  path: string,
  followFinal: boolean,
): string | undefined {
  try {
    return resolvePath(lookup, path, { followFinal }).path;
  } catch (error) {
    if (error instanceof StrataError) return undefined;
    throw error;
  }
}

function assertCanonical(
  lookup: (p: string) => FsNode | undefined,
  path: string,
  followFinal: boolean,
): void {
  if (canonicalPath(lookup, path, followFinal) !== path) {
    throw new Error(`history command path ${JSON.stringify(path)} is not canonical in the container's view`);
  }
}

// ---------------------------------------------------------------------------------------------
// Random commands

const menu = [
  ['createContainer', 6],
  ['writeFile', 14],
  ['mkdir', 8],
  ['startContainer', 7],
  ['appendFile', 6],
  ['remove', 7],
  ['rename', 6],
  ['stopContainer', 5],
  ['symlink', 4],
  ['chmod', 4],
  ['chown', 3],
  ['link', 3],
  ['restartContainer', 3],
  ['pauseContainer', 3],
  ['unpauseContainer', 3],
  ['removeContainer', 4],
  ['tagImage', 3],
  ['removeImage', 2],
  ['pullImage', 2],
] as const satisfies readonly (readonly [Exclude<CommandKind, 'registerLayer'>, number])[];

/** An image argument as a user would type it: mostly one that resolves, sometimes not. */
function imageArgument(ch: Choices, b: HistoryBuilder, catalogue: readonly CatalogueImage[]): string {
  const tags = [...b.assignedTags().keys()];
  const present = b.presentImages();
  switch (
    weighted(ch, [
      ['tag', 6],
      ['id', 2],
      ['pool', 2],
      ['digest', 1],
      ['catalogue', 1],
    ] as const)
  ) {
    case 'tag':
      return tags.length > 0 ? familiarReference(pick(ch, tags)) : pick(ch, referencePool);
    case 'id':
      return present.length > 0 ? pick(ch, present).image.imageId : pick(ch, catalogue).imageId;
    case 'digest': {
      const digests = present.flatMap((s) =>
        s.references.filter((r) => parseReference(r).digest !== undefined),
      );
      return digests.length > 0 ? familiarReference(pick(ch, digests)) : pick(ch, referencePool);
    }
    case 'catalogue':
      return pick(ch, catalogue).imageId;
    default:
      return pick(ch, referencePool);
  }
}

function containerName(ch: Choices, b: HistoryBuilder): string {
  const claimed = [...b.claimedNames().keys()];
  return claimed.length > 0 && ch.int(8) !== 0 ? pick(ch, claimed) : pick(ch, containerNamePool);
}

/**
 * The canonical form of a path for a command. With `want`, paths that exist in the view (and pass
 * the test) are preferred: a few pool paths and the upper layer's own paths are tried. Without,
 * paths whose parent directory exists are preferred (most of the time), so that fewer commands
 * fail for a missing parent.
 */
function choosePath(
  ch: Choices,
  view: { lookup: (p: string) => FsNode | undefined; upperPaths: () => string[] } | undefined,
  followFinal: boolean,
  want?: (n: FsNode) => boolean,
): string | undefined {
  if (!view) return pick(ch, pathPool);
  const test = want
    ? (p: string) => {
        const node = view.lookup(p);
        return node !== undefined && want(node);
      }
    : ch.int(5) === 0
      ? () => true
      : (p: string) => view.lookup(parentOf(p))?.type === 'dir';
  let fallback: string | undefined;
  for (let i = 0; i < 6; i++) {
    const upper = ch.int(3) === 0 ? view.upperPaths() : [];
    let raw = upper.length > 0 ? pick(ch, upper) : pick(ch, pathPool);
    if (!want && upper.length > 0) raw = `${raw}/${pick(ch, segments)}`;
    const canonical = canonicalPath(view.lookup, raw, followFinal);
    if (canonical === undefined || canonical === '/') continue;
    fallback ??= canonical;
    if (test(canonical)) return canonical;
  }
  return fallback;
}

/** One random command against the builder's current state (undefined: try another). */
export function randomCommand(
  ch: Choices,
  b: HistoryBuilder,
  catalogue: readonly CatalogueImage[],
): HistoryCommand | undefined {
  const claimedCount = b.claimedNames().size;
  let kind: Exclude<CommandKind, 'registerLayer'> =
    claimedCount === 0 && ch.int(10) < 7 ? 'createContainer' : weighted(ch, menu);
  // With every name taken, most creates would only repeat the name conflict: remove one instead.
  if (kind === 'createContainer' && claimedCount === containerNamePool.length && ch.int(4) !== 0)
    kind = 'removeContainer';
  switch (kind) {
    case 'createContainer': {
      const claimed = b.claimedNames();
      const free = containerNamePool.filter((n) => !claimed.has(n));
      const name = free.length > 0 && ch.int(6) !== 0 ? pick(ch, free) : pick(ch, containerNamePool);
      return { kind, containerId: b.nextContainerId(), name, image: imageArgument(ch, b, catalogue) };
    }
    case 'startContainer':
    case 'pauseContainer':
    case 'unpauseContainer':
      return { kind, container: containerName(ch, b) };
    case 'stopContainer':
    case 'restartContainer':
      return { kind, container: containerName(ch, b), exitCode: pick(ch, exitCodes) };
    case 'removeContainer':
      return { kind, container: containerName(ch, b), force: ch.int(3) === 0 };
    case 'tagImage':
      return { kind, source: imageArgument(ch, b, catalogue), target: pick(ch, referencePool) };
    case 'removeImage':
      return { kind, image: imageArgument(ch, b, catalogue), force: ch.int(4) === 0 };
    case 'pullImage': {
      const image = pick(ch, catalogue);
      return {
        kind,
        config: image.config,
        manifestDigest: image.manifestDigest,
        reference: pick(ch, referencePool),
      };
    }
    default:
      break;
  }
  const container = containerName(ch, b);
  const view = b.containerView(container);
  const isFile = (n: FsNode) => n.type === 'file' || n.type === 'hardlink';
  switch (kind) {
    case 'writeFile': {
      const path = choosePath(ch, view, true);
      const content = ch.int(3) === 0 ? `data ${ch.int(100_000)}\n` : pick(ch, contentPool);
      return path === undefined ? undefined : { kind, container, path, content };
    }
    case 'appendFile': {
      const path = choosePath(ch, view, true, ch.int(4) === 0 ? undefined : isFile);
      return path === undefined
        ? undefined
        : {
            kind,
            container,
            path,
            content: ch.int(2) === 0 ? `more ${ch.int(1000)}\n` : pick(ch, contentPool),
          };
    }
    case 'mkdir': {
      const path = choosePath(ch, view, true);
      const mode = ch.int(3) === 0 ? pick(ch, dirModes) : undefined;
      return path === undefined
        ? undefined
        : { kind, container, path, parents: ch.int(2) === 0, ...(mode !== undefined && { mode }) };
    }
    case 'symlink': {
      const path = choosePath(ch, view, false);
      const target = pick(ch, [...pathPool.slice(0, 12), '..', '../a', 'b/c', 'd', '/missing']);
      return path === undefined ? undefined : { kind, container, path, target };
    }
    case 'link': {
      const path = choosePath(ch, view, false);
      const target = choosePath(ch, view, false, (n) => n.type !== 'dir');
      return path === undefined || target === undefined ? undefined : { kind, container, path, target };
    }
    case 'chmod': {
      const path = choosePath(ch, view, true, () => true);
      return path === undefined
        ? undefined
        : { kind, container, path, mode: pick(ch, [...fileModes, ...dirModes]) };
    }
    case 'chown': {
      const path = choosePath(ch, view, true, () => true);
      return path === undefined
        ? undefined
        : { kind, container, path, uid: pick(ch, ids), gid: pick(ch, ids) };
    }
    case 'rename': {
      const from = choosePath(ch, view, false, () => true);
      const to = choosePath(ch, view, false);
      return from === undefined || to === undefined ? undefined : { kind, container, from, to };
    }
    case 'remove': {
      const path = choosePath(ch, view, false, () => true);
      return path === undefined ? undefined : { kind, container, path, recursive: ch.int(4) !== 0 };
    }
  }
}

/** Runs `steps` random commands (each drawing from `choicesFor(i)`). */
function runRandomSteps(
  b: HistoryBuilder,
  world: WorldSetup,
  steps: number,
  choicesFor: (i: number) => Choices,
  until?: () => boolean,
): void {
  for (let i = 0; i < steps && !(until?.() ?? false); i++) {
    const ch = choicesFor(i);
    let command: HistoryCommand | undefined;
    for (let attempt = 0; attempt < 5 && !command; attempt++) command = randomCommand(ch, b, world.images);
    b.run(command ?? { kind: 'startContainer', container: containerName(ch, b) });
  }
}

function setUp(b: HistoryBuilder, world: WorldSetup): void {
  for (const layer of world.layers) b.run({ kind: 'registerLayer', layer });
  for (const pull of world.pulls) b.run(pull);
}

/** A script fast-check generates (and shrinks): choices for the world, and per step. */
export interface HistoryScript {
  world: number[];
  steps: number[][];
}

/** The history a script describes (deterministic). */
export function historyFromScript(script: HistoryScript): History {
  const b = new HistoryBuilder('script');
  const world = generateWorld(new ArrayChoices(script.world), b.contents);
  setUp(b, world);
  runRandomSteps(b, world, script.steps.length, (i) => new ArrayChoices(script.steps[i]!));
  return b.toHistory(world);
}

export interface HistoryArbitraryOptions {
  /** Random commands after the setup (default 30). */
  maxSteps?: number;
  minSteps?: number;
}

/** Random valid histories; shrinking removes steps and simplifies choices (0 = simplest). */
export function historyArbitrary(options: HistoryArbitraryOptions = {}): fc.Arbitrary<History> {
  const maxSteps = options.maxSteps ?? 30;
  return fc
    .record({
      world: fc.array(fc.nat(), { maxLength: 160 }),
      steps: fc.array(fc.array(fc.nat(), { maxLength: 12 }), {
        minLength: options.minSteps ?? 0,
        maxLength: maxSteps,
      }),
    })
    .map(historyFromScript);
}

export interface GenerateOptions {
  /** Stop as soon as this many events exist (steps is then an upper bound). */
  targetEvents?: number;
  /** Keep the steps (default true); false keeps only events, for million-event benchmarks. */
  keepSteps?: boolean;
}

/** A seeded random history without fast-check: `steps` random commands after the setup. */
export function generateHistory(seed: number, steps: number, options: GenerateOptions = {}): History {
  const ch = new SeededChoices(seed);
  const b = new HistoryBuilder(`seed ${seed}`);
  b.keepSteps = options.keepSteps ?? true;
  const world = generateWorld(ch, b.contents);
  setUp(b, world);
  const target = options.targetEvents;
  // A third of the commands are refused: capturing a stack for each StrataError would be most of
  // the time spent. Only the refusals' codes and messages are kept, so no stack is captured.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    runRandomSteps(
      b,
      world,
      steps,
      () => ch,
      target === undefined ? undefined : () => b.lastPosition >= target,
    );
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return b.toHistory(world);
}

/** One line per step, for counterexamples. */
export function describeHistory(history: History): string {
  const lines = [
    `${history.layers.length} layers, ${history.images.length} images, ${history.events.length} events`,
  ];
  for (const step of history.steps) {
    const command = step.command;
    let args: string;
    if (command.kind === 'registerLayer') {
      const entries = command.layer.entries.map((e) =>
        e.kind === 'node'
          ? `${e.node.type}:${e.node.path}${e.node.linkTarget ? `->${e.node.linkTarget}` : ''}`
          : `${e.kind}:${e.path}`,
      );
      args = `${command.layer.diffId.slice(7, 19)} ${entries.join(' ')}`;
    } else if (command.kind === 'pullImage') {
      args = `${sha256Digest(command.config).slice(7, 19)} ${command.reference ?? ''}`;
    } else {
      const { kind: _kind, ...rest } = command;
      args = JSON.stringify(rest);
    }
    const outcome = step.error
      ? ` ✗ ${step.error.code}: ${step.error.message}`
      : ` → ${step.events.map((e) => `${e.position}:${e.type}`).join(' ')}`;
    lines.push(`#${step.index} ${command.kind} ${args}${outcome}`);
  }
  return lines.join('\n');
}
