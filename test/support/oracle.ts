/**
 * The ORACLE for time-travel property tests: what the world looks like as of a position, computed
 * by replaying the events from zero with nothing but the deciders' evolve functions, the union
 * rules (mergeLayers) and the writable-layer helpers. No database and no projection code, so it is
 * independent of the read models it judges by construction:
 *
 *   const world = replay(events, position, (diffId) => entriesOf(diffId));
 *   world.images / world.tags / world.containers / world.containerTree(id) / world.containerChanges(id)
 *
 * "As of p" means after every event whose position is <= p (events may come in any order; they
 * are sorted by position). Obviously correct rather than fast: every container event goes
 * through evolveContainer, which copies the writable layer.
 */
import { type Change, containerChanges as dockerDiff } from '../../src/domain/container/changes.ts';
import { type ContainerEvent, containerEventSchemaVersions } from '../../src/domain/container/events.ts';
import type { ContainerNameEvent } from '../../src/domain/container/names/events.ts';
import { containerNameEventSchemaVersions } from '../../src/domain/container/names/events.ts';
import {
  type ContainerNameState,
  evolveContainerName,
  initialContainerNameState,
} from '../../src/domain/container/names/state.ts';
import {
  type ContainerState,
  type ContainerStatus,
  evolveContainer,
  initialContainerState,
  isLive,
} from '../../src/domain/container/state.ts';
import {
  type LowerChildren,
  type LowerLookup,
  listDirectory,
  lookupPath,
} from '../../src/domain/container/writableLayer.ts';
import type { Digest } from '../../src/domain/digest.ts';
import type { FsNode, LayerEntry } from '../../src/domain/fs/node.ts';
import { comparePaths, parentOf } from '../../src/domain/fs/paths.ts';
import type { FsTree } from '../../src/domain/fs/tree.ts';
import { mergeLayers, type WhiteoutMode } from '../../src/domain/fs/union.ts';
import { type ImageEvent, imageEventSchemaVersions } from '../../src/domain/image/events.ts';
import { parseReference } from '../../src/domain/image/reference.ts';
import { evolveImage, type ImageState, initialImageState } from '../../src/domain/image/state.ts';
import { type TagEvent, tagEventSchemaVersions } from '../../src/domain/image/tags/events.ts';
import { evolveTag, initialTagState, type TagState } from '../../src/domain/image/tags/state.ts';
import {
  type LayerEvent,
  type LayerRegisteredData,
  layerEventSchemaVersions,
} from '../../src/domain/layer/events.ts';
import { evolveLayer, initialLayerState, type LayerState } from '../../src/domain/layer/state.ts';
import { streamPrefixes } from '../../src/domain/streams.ts';

/** An event as the store records it (or as histories.ts generates it). */
export interface RecordedEvent {
  stream: string;
  position: number;
  type: string;
  data: unknown;
}

/** A layer's changeset by DiffID (what readLayer returned for its tar), in tar order. */
export type LayerEntriesOf = (diffId: Digest) => readonly LayerEntry[];

export interface OracleOptions {
  /** How image layers are merged; `spec` is what the chain views use by default. */
  whiteoutMode?: WhiteoutMode;
}

export interface OracleImage {
  imageId: Digest;
  /** Normalised tag references (`docker.io/library/app:v1`), sorted. Empty once deleted. */
  repoTags: string[];
  /** Normalised digest references, sorted. Empty once deleted. */
  repoDigests: string[];
  /** Base first. */
  diffIds: Digest[];
  chainIds: Digest[];
  parent: Digest | undefined;
  deleted: boolean;
  /** The decider state itself, for anything not listed above. */
  state: ImageState;
}

export interface OracleContainer {
  containerId: string;
  name: string;
  imageId: Digest;
  imageReference: string | undefined;
  /** Docker's status, or `removed` (a removed container stays listed, flagged). */
  status: ContainerStatus | 'removed';
  removed: boolean;
  exitCode: number | undefined;
  restartCount: number;
  created: string;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  /** The decider state itself (with the writable layer while live). */
  state: ContainerState;
}

/** Stream kinds, told apart by prefix (`container-name-` before `container-`). */
export type StreamKind = 'layer' | 'image' | 'tag' | 'containerName' | 'container';

export function streamKind(stream: string): StreamKind | undefined {
  if (stream.startsWith(streamPrefixes.containerName)) return 'containerName';
  if (stream.startsWith(streamPrefixes.container)) return 'container';
  if (stream.startsWith(streamPrefixes.layer)) return 'layer';
  if (stream.startsWith(streamPrefixes.image)) return 'image';
  if (stream.startsWith(streamPrefixes.tag)) return 'tag';
  return undefined;
}

const knownTypes: Record<StreamKind, Record<string, number>> = {
  layer: layerEventSchemaVersions,
  image: imageEventSchemaVersions,
  tag: tagEventSchemaVersions,
  containerName: containerNameEventSchemaVersions,
  container: containerEventSchemaVersions,
};

/** The decider state of every stream seen, keyed by stream name. Values are never mutated. */
interface StreamStates {
  layers: Map<string, LayerState>;
  images: Map<string, ImageState>;
  tags: Map<string, TagState>;
  names: Map<string, ContainerNameState>;
  containers: Map<string, ContainerState>;
}

/**
 * Folds events one at a time; `world()` is a snapshot (the decider states are immutable values,
 * so a snapshot is a shallow copy of the maps). Events must come in position order; `replay`
 * sorts and filters for you.
 */
export class Replayer {
  private readonly states: StreamStates = {
    layers: new Map(),
    images: new Map(),
    tags: new Map(),
    names: new Map(),
    containers: new Map(),
  };
  private last = 0;

  constructor(
    private readonly layerEntries: LayerEntriesOf,
    private readonly options: OracleOptions = {},
  ) {}

  get position(): number {
    return this.last;
  }

  apply(event: RecordedEvent): void {
    if (!Number.isSafeInteger(event.position) || event.position <= this.last) {
      throw new Error(`oracle: event at position ${event.position} after position ${this.last}`);
    }
    this.last = event.position;
    const kind = streamKind(event.stream);
    if (kind === undefined) throw new Error(`oracle: unknown stream ${event.stream}`);
    if (knownTypes[kind][event.type] === undefined) {
      throw new Error(`oracle: unknown event type ${event.type} on stream ${event.stream}`);
    }
    const typed = { type: event.type, data: event.data };
    const s = this.states;
    switch (kind) {
      case 'layer':
        s.layers.set(
          event.stream,
          evolveLayer(s.layers.get(event.stream) ?? initialLayerState(), typed as LayerEvent),
        );
        return;
      case 'image':
        s.images.set(
          event.stream,
          evolveImage(s.images.get(event.stream) ?? initialImageState(), typed as ImageEvent),
        );
        return;
      case 'tag':
        s.tags.set(event.stream, evolveTag(s.tags.get(event.stream) ?? initialTagState(), typed as TagEvent));
        return;
      case 'containerName':
        s.names.set(
          event.stream,
          evolveContainerName(
            s.names.get(event.stream) ?? initialContainerNameState(),
            typed as ContainerNameEvent,
          ),
        );
        return;
      case 'container':
        s.containers.set(
          event.stream,
          evolveContainer(s.containers.get(event.stream) ?? initialContainerState(), typed as ContainerEvent),
        );
        return;
    }
  }

  world(): OracleWorld {
    const s = this.states;
    return new OracleWorld(
      this.last,
      {
        layers: new Map(s.layers),
        images: new Map(s.images),
        tags: new Map(s.tags),
        names: new Map(s.names),
        containers: new Map(s.containers),
      },
      this.layerEntries,
      this.options,
    );
  }
}

/** The world as of `upTo`: every event with position <= upTo, replayed from zero in position order. */
export function replay(
  events: readonly RecordedEvent[],
  upTo: number,
  layerEntries: LayerEntriesOf,
  options: OracleOptions = {},
): OracleWorld {
  const replayer = new Replayer(layerEntries, options);
  for (const event of sortedUpTo(events, upTo)) replayer.apply(event);
  const world = replayer.world();
  world.position = upTo;
  return world;
}

/**
 * Worlds at several positions in one pass (each equal to `replay(events, p, ...)`), for property
 * tests that ask many as-of questions of one history.
 */
export function replayAt(
  events: readonly RecordedEvent[],
  positions: readonly number[],
  layerEntries: LayerEntriesOf,
  options: OracleOptions = {},
): Map<number, OracleWorld> {
  const wanted = [...new Set(positions)].sort((a, b) => a - b);
  const sorted = sortedUpTo(events, Number.POSITIVE_INFINITY);
  const replayer = new Replayer(layerEntries, options);
  const worlds = new Map<number, OracleWorld>();
  let i = 0;
  for (const p of wanted) {
    while (i < sorted.length && sorted[i]!.position <= p) replayer.apply(sorted[i++]!);
    const world = replayer.world();
    world.position = p;
    worlds.set(p, world);
  }
  return worlds;
}

function sortedUpTo(events: readonly RecordedEvent[], upTo: number): RecordedEvent[] {
  return events.filter((e) => e.position <= upTo).sort((a, b) => a.position - b.position);
}

const hexOfStream = (stream: string, prefix: string) => stream.slice(prefix.length);

/** Plain answers derived from the decider states, trees computed lazily and cached. */
export class OracleWorld {
  /** The position this world is "as of". */
  position: number;
  readonly layers: ReadonlyMap<Digest, LayerRegisteredData>;
  readonly images: ReadonlyMap<Digest, OracleImage>;
  /** Tag registry: normalised reference → image id (assigned tags only). */
  readonly tags: ReadonlyMap<string, Digest>;
  /** Name registry: name (no slash) → container id (claimed names only). */
  readonly containerNames: ReadonlyMap<string, string>;
  /** Every container created so far, removed ones included (status `removed`). */
  readonly containers: ReadonlyMap<string, OracleContainer>;

  private readonly chainTrees = new Map<string, FsTree>();
  private readonly childIndexes = new Map<string, Map<string, FsNode[]>>();
  private readonly containerTrees = new Map<string, FsTree>();

  constructor(
    position: number,
    states: StreamStates,
    private readonly layerEntries: LayerEntriesOf,
    private readonly options: OracleOptions,
  ) {
    this.position = position;

    const layers = new Map<Digest, LayerRegisteredData>();
    for (const state of states.layers.values())
      if (state.status === 'registered') layers.set(state.layer.diffId, state.layer);
    this.layers = layers;

    const images = new Map<Digest, OracleImage>();
    for (const [stream, state] of states.images) {
      if (state.status === 'absent') continue;
      const image = state.image;
      if (`sha256:${hexOfStream(stream, streamPrefixes.image)}` !== image.imageId) {
        throw new Error(`oracle: image ${image.imageId} recorded on stream ${stream}`);
      }
      const references = state.status === 'present' ? state.references : [];
      const isDigestRef = (r: string) => parseReference(r).digest !== undefined;
      images.set(image.imageId, {
        imageId: image.imageId,
        repoTags: references.filter((r) => !isDigestRef(r)).sort(),
        repoDigests: references.filter(isDigestRef).sort(),
        diffIds: [...image.diffIds],
        chainIds: [...image.chainIds],
        parent: image.parent,
        deleted: state.status === 'deleted',
        state,
      });
    }
    this.images = images;

    const tags = new Map<string, Digest>();
    for (const [stream, state] of states.tags) {
      if (state.status !== 'assigned') continue;
      if (hexOfStream(stream, streamPrefixes.tag) !== state.reference) {
        throw new Error(`oracle: tag ${state.reference} recorded on stream ${stream}`);
      }
      tags.set(state.reference, state.imageId);
    }
    this.tags = new Map([...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

    const names = new Map<string, string>();
    for (const state of states.names.values())
      if (state.status === 'claimed') names.set(state.name, state.containerId);
    this.containerNames = names;

    const containers = new Map<string, OracleContainer>();
    for (const [stream, state] of states.containers) {
      if (state.status === 'absent') continue;
      const info = state.container;
      if (hexOfStream(stream, streamPrefixes.container) !== info.containerId) {
        throw new Error(`oracle: container ${info.containerId} recorded on stream ${stream}`);
      }
      containers.set(info.containerId, {
        containerId: info.containerId,
        name: info.name,
        imageId: info.imageId,
        imageReference: info.imageReference,
        status: state.status,
        removed: state.status === 'removed',
        exitCode: info.exitCode,
        restartCount: info.restartCount,
        created: info.created,
        startedAt: info.startedAt,
        finishedAt: info.finishedAt,
        state,
      });
    }
    this.containers = containers;
  }

  /** Containers that exist (not removed). */
  liveContainers(): OracleContainer[] {
    return [...this.containers.values()].filter((c) => !c.removed);
  }

  /** A live container by id or by the name it holds now. */
  container(idOrName: string): OracleContainer | undefined {
    const id = this.containerNames.get(idOrName) ?? idOrName;
    const found = this.containers.get(id);
    return found && !found.removed ? found : undefined;
  }

  /**
   * The merged filesystem of an image the world has seen (deleted ones too: a container may
   * outlive its image), as mergeLayers makes it from the layers' entries. Undefined for an image
   * never created. Treat the map as read-only: it is cached.
   */
  imageTree(imageId: Digest): FsTree | undefined {
    const image = this.images.get(imageId);
    if (!image) return undefined;
    return this.chainTree(image.diffIds, image.chainIds);
  }

  /** The merged view of a layer stack, cached by its top ChainID. */
  chainTree(diffIds: readonly Digest[], chainIds: readonly Digest[]): FsTree {
    const key = chainIds.at(-1) ?? '';
    let tree = this.chainTrees.get(key);
    if (!tree) {
      tree = mergeLayers(
        diffIds.map((d) => this.layerEntries(d)),
        { whiteoutMode: this.options.whiteoutMode ?? 'spec' },
      );
      this.chainTrees.set(key, tree);
    }
    return tree;
  }

  /** The image's merged view as the container deciders read it: lookup and directory listing. */
  lowerOf(imageId: Digest): { lower: LowerLookup; lowerChildren: LowerChildren } {
    const tree = this.imageTree(imageId);
    if (!tree) throw new Error(`oracle: no image ${imageId}`);
    const key = this.images.get(imageId)!.chainIds.at(-1) ?? '';
    let index = this.childIndexes.get(key);
    if (!index) {
      index = new Map();
      for (const node of tree.values()) {
        if (node.path === '/') continue;
        const parent = parentOf(node.path);
        const list = index.get(parent) ?? [];
        list.push(node);
        index.set(parent, list);
      }
      for (const list of index.values()) list.sort((a, b) => comparePaths(a.path, b.path));
      this.childIndexes.set(key, index);
    }
    const children = index;
    return { lower: (p) => tree.get(p), lowerChildren: (d) => children.get(d) ?? [] };
  }

  /** The node at `path` in a live container's merged view (lookupPath: upper over the image). */
  containerLookup(idOrName: string, path: string): FsNode | undefined {
    const { state, lower } = this.liveWithLower(idOrName);
    return lookupPath(state.layer, lower, path);
  }

  /** The nodes directly in directory `dir` of a live container's merged view, in path order. */
  containerList(idOrName: string, dir: string): FsNode[] {
    const { state, lower, lowerChildren } = this.liveWithLower(idOrName);
    return listDirectory(state.layer, lower, lowerChildren, dir);
  }

  /**
   * A live container's whole merged filesystem (path order), walked from the root with
   * lookupPath/listDirectory: the writable layer over the image's merged tree, whiteouts and
   * opaque directories applied. Undefined when the container is absent or removed as of this
   * position. Treat the map as read-only: it is cached.
   */
  containerTree(idOrName: string): FsTree | undefined {
    const found = this.container(idOrName);
    if (!found) return undefined;
    let tree = this.containerTrees.get(found.containerId);
    if (!tree) {
      const { state, lower, lowerChildren } = this.liveWithLower(found.containerId);
      tree = new Map();
      const root = lookupPath(state.layer, lower, '/');
      if (root?.type !== 'dir') throw new Error('oracle: the container root is not a directory');
      const walk = (node: FsNode) => {
        tree!.set(node.path, node);
        if (node.type !== 'dir') return;
        for (const child of listDirectory(state.layer, lower, lowerChildren, node.path)) walk(child);
      };
      walk(root);
      this.containerTrees.set(found.containerId, tree);
    }
    return tree;
  }

  /** `docker diff` of a live container (H3's containerChanges over the image's merged view). */
  containerChanges(idOrName: string): Change[] | undefined {
    const found = this.container(idOrName);
    if (!found) return undefined;
    const { lower, lowerChildren } = this.lowerOf(found.imageId);
    return dockerDiff(found.state, lower, lowerChildren);
  }

  private liveWithLower(idOrName: string) {
    const found = this.container(idOrName);
    if (!found || !isLive(found.state))
      throw new Error(`oracle: no live container ${idOrName} as of ${this.position}`);
    return { state: found.state, ...this.lowerOf(found.imageId) };
  }
}
