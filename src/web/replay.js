// @ts-check
/**
 * The replay page: a container's whole life, or one session, point by point. Every read goes
 * through the public GraphQL API with `asOf` set to the point's position. docs/replay.md.
 */
import {
  ApiError,
  fetchContainer,
  fetchContainers,
  fetchExisting,
  fetchFile,
  fetchSession,
  fetchSessionOutputs,
  fetchStream,
  fetchTree,
  storedToken,
  storeToken,
} from './api.js';
import { byId, fill, h } from './dom.js';
import {
  changesOfEvents,
  containerTimeline,
  indexAtPosition,
  isFsEvent,
  sessionTimeline,
  touchedPaths,
} from './timeline.js';
import { ancestorsOf, buildTree, visibleRows } from './tree.js';

/**
 * @typedef {import('./timeline.js').Point} Point
 * @typedef {import('./api.js').Change} Change
 * @typedef {import('./api.js').Tree} Tree
 * @typedef {import('./api.js').ContainerInfo} ContainerInfo
 * @typedef {import('./tree.js').TreeNode} TreeNode
 */

/** Files larger than this are described, not downloaded. */
const maxShownBytes = 512 * 1024;
/** Trees up to this many entries open fully; larger ones open only along the changed paths. */
const openTreeLimit = 300;

const state = {
  /** @type {'container' | 'session'} */
  mode: 'container',
  /** The container or session as the URL names it (kept as given in the URL). */
  ref: '',
  containerId: '',
  /** @type {ContainerInfo | null} */
  container: null,
  /** @type {Point[]} */
  points: [],
  index: 0,
  /** A path the user picked (or the URL named); null shows the point's first changed file. */
  /** @type {string | null} */
  selected: null,
  /** Directories the user opened or closed by hand: path → open. */
  /** @type {Map<string, boolean>} */
  toggles: new Map(),
  /** Bumped on every render; an async render that finds it changed stops. */
  seq: 0,
};

/** @type {Map<number, Promise<Tree>>} */
const trees = new Map();
/** @type {Map<string, Promise<Map<number, { stdout: string, stderr: string }>>>} */
const outputs = new Map();
/** @type {Map<string, Promise<Change[]>>} */
const pointChanges = new Map();
/** @type {Map<string, Promise<import('./api.js').FileView | null>>} */
const files = new Map();

/**
 * @template T
 * @param {Map<string | number, Promise<T>>} cache
 * @param {string | number} key
 * @param {() => Promise<T>} load
 * @returns {Promise<T>}
 */
function cached(cache, key, load) {
  let value = cache.get(key);
  if (!value) {
    value = load();
    value.catch(() => cache.delete(key));
    cache.set(key, value);
    if (cache.size > 64) cache.delete(/** @type {string | number} */ (cache.keys().next().value));
  }
  return value;
}

/** @param {number} position */
const treeAt = (position) =>
  cached(/** @type {Map<string | number, Promise<Tree>>} */ (trees), position, () =>
    fetchTree(state.containerId, position),
  );

/**
 * The changes a point made: a step's own list, or those of its file events worked out against
 * the state just before them.
 * @param {Point} point
 * @returns {Promise<Change[]>}
 */
function changesAt(point) {
  if (point.step) return Promise.resolve(point.step.changes);
  const fsEvents = point.events.filter(isFsEvent);
  if (fsEvents.length === 0) return Promise.resolve([]);
  return cached(pointChanges, point.key, async () => {
    const before = Math.min(...fsEvents.map((e) => e.position)) - 1;
    const existed = await fetchExisting(state.containerId, before, touchedPaths(fsEvents));
    return changesOfEvents(fsEvents, existed);
  });
}

/**
 * @param {string} sessionId
 * @param {number} index
 */
async function outputOf(sessionId, index) {
  const all = await cached(outputs, sessionId, () => fetchSessionOutputs(sessionId));
  return all.get(index) ?? { stdout: '', stderr: '' };
}

/**
 * @param {number} position
 * @param {string} path
 * @param {boolean} withContent
 */
const fileAt = (position, path, withContent) =>
  cached(files, `${position}\n${withContent}\n${path}`, () =>
    fetchFile(state.containerId, position, path, withContent),
  );

// ---------------------------------------------------------------------------------------------
// Loading

/** @param {unknown} error */
function showError(error) {
  const alert = byId('alert');
  const message = error instanceof Error ? error.message : String(error);
  const unauthorized = error instanceof ApiError && error.code === 'UNAUTHORIZED';
  fill(alert, message, unauthorized ? ' Enter an access token above.' : '');
  alert.hidden = false;
  if (unauthorized) {
    /** @type {HTMLDetailsElement} */ (byId('auth')).open = true;
    byId('token').focus();
  }
}

/**
 * The container by name or id; a removed one is found through its name's stream (or its id)
 * and read as of just before its removal.
 * @param {string} ref
 */
async function loadContainer(ref) {
  let container = await fetchContainer(ref);
  if (container) return { container, events: await fetchStream(`container-${container.containerId}`) };
  let containerId = /^[0-9a-f]{64}$/.test(ref) ? ref : undefined;
  if (!containerId) {
    const claims = await fetchStream(`container-name-${ref}`);
    containerId = claims.filter((e) => e.type === 'ContainerNameClaimed').pop()?.data.containerId;
  }
  const events = containerId ? await fetchStream(`container-${containerId}`) : [];
  const last = events[events.length - 1];
  if (!containerId || !last) throw new ApiError(`No such container: ${ref}`, 'NOT_FOUND');
  const removed = events.find((e) => e.type === 'ContainerRemoved');
  container = await fetchContainer(containerId, removed ? removed.position - 1 : last.position);
  if (!container) throw new ApiError(`No such container: ${ref}`, 'NOT_FOUND');
  return { container, events };
}

/** @param {URLSearchParams} params */
async function load(params) {
  const sessionId = params.get('session');
  const containerRef = params.get('container');
  if (sessionId) {
    const session = await fetchSession(sessionId);
    if (!session) throw new ApiError(`No such session: ${sessionId}`, 'NOT_FOUND');
    const [{ container, events }, sessionEvents] = await Promise.all([
      loadContainer(session.container.containerId),
      fetchStream(`session-${session.id}`),
    ]);
    Object.assign(state, { mode: 'session', ref: sessionId, container, containerId: container.containerId });
    state.points = sessionTimeline(containerTimeline(container, events), session, sessionEvents, events);
    const step = params.get('step');
    const position = params.get('position');
    if (step !== null && /^\d+$/.test(step)) {
      const found = state.points.findIndex((p) =>
        step === '0' ? p.kind === 'start' : p.step?.index === Number(step),
      );
      state.index = Math.max(0, found);
    } else if (position !== null && /^\d+$/.test(position)) {
      state.index = indexAtPosition(state.points, Number(position));
    } else state.index = Math.min(1, state.points.length - 1);
  } else if (containerRef) {
    const { container, events } = await loadContainer(containerRef);
    Object.assign(state, {
      mode: 'container',
      ref: containerRef,
      container,
      containerId: container.containerId,
    });
    state.points = containerTimeline(container, events);
    const position = params.get('position');
    state.index =
      position !== null && /^\d+$/.test(position) ? indexAtPosition(state.points, Number(position)) : 0;
  } else {
    await showStart();
    return;
  }
  if (state.points.length === 0) throw new ApiError('Nothing to replay: no events yet.', 'NOT_FOUND');
  state.selected = params.get('path');
  setUpView();
  select(state.index);
}

async function showStart() {
  byId('start').hidden = false;
  const list = byId('containers');
  const containers = await fetchContainers();
  if (containers.length === 0) fill(list, h('li', {}, 'No containers yet.'));
  else
    fill(
      list,
      containers.map((c) =>
        h(
          'li',
          {},
          h('a', { href: `/replay?${new URLSearchParams({ container: c.name })}` }, c.name),
          ' ',
          h('code', {}, c.containerId.slice(0, 12)),
          ' ',
          h('span', { class: 'state' }, c.state.toLowerCase()),
        ),
      ),
    );
}

// ---------------------------------------------------------------------------------------------
// The view

function setUpView() {
  const container = /** @type {ContainerInfo} */ (state.container);
  byId('view').hidden = false;
  const slider = /** @type {HTMLInputElement} */ (byId('slider'));
  slider.max = String(state.points.length - 1);
  slider.addEventListener('input', () => select(Number(slider.value)));
  byId('first').addEventListener('click', () => select(0));
  byId('prev').addEventListener('click', () => select(state.index - 1));
  byId('next').addEventListener('click', () => select(state.index + 1));
  byId('last').addEventListener('click', () => select(state.points.length - 1));
  document.addEventListener('keydown', onKey);

  const tags = container.image.repoTags.join(', ') || container.image.imageId.slice(7, 19);
  const sessionNote =
    state.mode === 'session'
      ? [
          ' · session ',
          h('code', {}, state.ref.slice(0, 8)),
          ' · ',
          h(
            'a',
            {
              id: 'life-link',
              href: `/replay?${new URLSearchParams({ container: container.containerId })}`,
            },
            'whole container life',
          ),
        ]
      : [];
  fill(
    byId('subject'),
    'Container ',
    h('strong', {}, container.name),
    ' ',
    h('code', { title: container.containerId }, container.containerId.slice(0, 12)),
    ` · image ${tags}`,
    sessionNote,
  );
  document.title = `${container.name} · Strata replay`;

  fill(
    byId('points'),
    state.points.map((point, i) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: `point ${point.kind}`,
            'data-index': i,
            'data-position': point.position,
            'data-kind': point.kind,
            tabindex: -1,
            title: point.label,
            onclick: () => select(i, true),
          },
          h('span', { class: 'pos' }, point.position),
          h('span', { class: 'mark', 'aria-hidden': 'true' }, point.step ? '$' : '•'),
          h('span', { class: 'label' }, pointTitle(point)),
          point.step && point.step.exitCode !== 0
            ? h(
                'span',
                { class: 'exit bad', title: 'exit code' },
                h('span', { class: 'sr-only' }, 'exit code '),
                point.step.exitCode,
              )
            : null,
          point.step && point.step.changes.length > 0
            ? h(
                'span',
                { class: 'count', title: 'file changes' },
                h('span', { 'aria-hidden': 'true' }, `Δ${point.step.changes.length}`),
                h('span', { class: 'sr-only' }, `${point.step.changes.length} file changes`),
              )
            : null,
        ),
      ),
    ),
  );
}

/** @param {Point} point */
function pointTitle(point) {
  if (point.step) return point.step.command;
  return point.label;
}

/** @param {KeyboardEvent} event */
function onKey(event) {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const target = /** @type {HTMLElement} */ (event.target);
  // Text fields keep their keys; the slider moves itself (and reports through its input event).
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target.isContentEditable)
    return;
  const moves = /** @type {Record<string, number | undefined>} */ ({
    ArrowLeft: state.index - 1,
    ArrowRight: state.index + 1,
    Home: 0,
    End: state.points.length - 1,
  });
  const to = moves[event.key];
  if (to === undefined) return;
  event.preventDefault();
  select(to, Boolean(target.closest?.('#points')));
}

/**
 * @param {number} index
 * @param {boolean} [focusPoint] move the focus to the point's button (keyboard use of the list)
 */
function select(index, focusPoint = false) {
  if (state.points.length === 0) return;
  state.index = Math.max(0, Math.min(state.points.length - 1, index));
  const point = /** @type {Point} */ (state.points[state.index]);
  updateUrl(point);

  const slider = /** @type {HTMLInputElement} */ (byId('slider'));
  slider.value = String(state.index);
  slider.setAttribute('aria-valuetext', `${state.index + 1} of ${state.points.length}: ${pointTitle(point)}`);
  /** @type {HTMLButtonElement} */ (byId('first')).disabled = state.index === 0;
  /** @type {HTMLButtonElement} */ (byId('prev')).disabled = state.index === 0;
  /** @type {HTMLButtonElement} */ (byId('next')).disabled = state.index === state.points.length - 1;
  /** @type {HTMLButtonElement} */ (byId('last')).disabled = state.index === state.points.length - 1;
  fill(
    byId('status'),
    `${state.index + 1} / ${state.points.length} · position ${point.position}`,
    point.time ? ` · ${formatTime(point.time)}` : '',
  );
  for (const button of byId('points').querySelectorAll('button.point')) {
    const current = Number(button.getAttribute('data-index')) === state.index;
    if (current) button.setAttribute('aria-current', 'step');
    else button.removeAttribute('aria-current');
    button.setAttribute('tabindex', current ? '0' : '-1');
    if (current) {
      button.scrollIntoView({ block: 'nearest' });
      if (focusPoint) /** @type {HTMLElement} */ (button).focus();
    }
  }
  void render(point);
}

/** @param {Point} point */
function updateUrl(point) {
  /** @type {Record<string, string>} */
  const params = {};
  if (state.mode === 'session') {
    params.session = state.ref;
    if (point.kind === 'start') params.step = '0';
    else if (point.step) params.step = String(point.step.index);
    else params.position = String(point.position);
  } else {
    params.container = state.ref;
    params.position = String(point.position);
  }
  if (state.selected) params.path = state.selected;
  history.replaceState(null, '', `${location.pathname}?${new URLSearchParams(params)}`);
  const life = document.getElementById('life-link');
  if (life) {
    const at = new URLSearchParams({ container: state.containerId, position: String(point.position) });
    if (state.selected) at.set('path', state.selected);
    life.setAttribute('href', `/replay?${at}`);
  }
}

/** @param {string} iso */
function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

/** @param {Point} point */
async function render(point) {
  const seq = ++state.seq;
  const view = byId('view');
  view.setAttribute('aria-busy', 'true');
  view.removeAttribute('data-position');
  renderDetail(point, null, null);
  fill(byId('tree-heading'), `Files as of position ${point.position}`);
  // A short pause, so that dragging the slider across many points fetches only where it stops.
  await new Promise((resolve) => setTimeout(resolve, 40));
  if (seq !== state.seq) return;
  try {
    const [changes, tree, output] = await Promise.all([
      changesAt(point),
      treeAt(point.position),
      point.step && point.sessionId ? outputOf(point.sessionId, point.step.index) : Promise.resolve(null),
    ]);
    if (seq !== state.seq) return;
    renderDetail(point, changes, output);
    const root = buildTree(tree.entries, changes);
    const shown = state.selected ?? firstChangedFile(root, changes);
    renderTree(root, tree, changes, shown);
    await renderFile(point, tree, changes, shown, seq);
    if (seq !== state.seq) return;
    byId('alert').hidden = true;
    view.setAttribute('data-position', String(point.position));
    view.setAttribute('aria-busy', 'false');
    // Warm the cache for the next point: stepping forward is the common move.
    const next = state.points[state.index + 1];
    if (next) treeAt(next.position).catch(() => {});
  } catch (error) {
    if (seq === state.seq) {
      showError(error);
      view.setAttribute('aria-busy', 'false');
    }
  }
}

/**
 * @param {TreeNode} root
 * @param {Change[]} changes
 */
function firstChangedFile(root, changes) {
  const present = new Set();
  /** @param {TreeNode} node */
  const walk = (node) => {
    if (!node.ghost && node.type !== 'DIRECTORY') present.add(node.path);
    node.children.forEach(walk);
  };
  walk(root);
  return changes.find((c) => c.kind !== 'D' && present.has(c.path))?.path ?? null;
}

/**
 * @param {Point} point
 * @param {Change[] | null} changes null while loading
 * @param {{ stdout: string, stderr: string } | null} output
 */
function renderDetail(point, changes, output) {
  const body = byId('detail-body');
  const heading = byId('detail-heading');
  /** @type {(Node | string | null)[]} */
  const parts = [];
  if (point.step) {
    const step = point.step;
    fill(heading, `Step ${step.index}`);
    parts.push(
      h(
        'p',
        { class: 'meta' },
        `${point.interactive ? 'Interactive session' : 'exec'} `,
        h(
          'a',
          {
            href: `/replay?${new URLSearchParams({ session: point.sessionId ?? '', step: String(step.index) })}`,
          },
          h('code', {}, (point.sessionId ?? '').slice(0, 8)),
        ),
        ` · step ${step.index} · `,
        h(
          'span',
          { id: 'exit-code', class: step.exitCode === 0 ? 'exit ok' : 'exit bad' },
          `exit ${step.exitCode}`,
        ),
        step.limitHit ? h('span', { class: 'exit bad' }, ` limit hit: ${step.limitHit}`) : null,
      ),
      h(
        'pre',
        { id: 'command', class: 'command' },
        h('span', { class: 'prompt', 'aria-hidden': 'true' }, '$ '),
        step.command,
      ),
    );
    if (!output) parts.push(h('p', { class: 'muted' }, 'Loading output…'));
    else if (!output.stdout && !output.stderr)
      parts.push(h('p', { id: 'no-output', class: 'muted' }, '(no output)'));
    else {
      if (output.stdout)
        parts.push(
          h('pre', { id: 'stdout', class: 'output', 'aria-label': 'Standard output' }, output.stdout),
        );
      if (output.stderr)
        parts.push(
          h('pre', { id: 'stderr', class: 'output stderr', 'aria-label': 'Standard error' }, output.stderr),
        );
    }
  } else {
    fill(
      heading,
      point.kind === 'start' ? 'Before the session' : point.kind === 'end' ? 'Session ended' : 'Event',
    );
    parts.push(h('p', { id: 'event-label', class: 'event-label' }, point.label));
    if (point.events.length > 0)
      parts.push(
        h(
          'ul',
          { class: 'events' },
          point.events.map((e) => h('li', {}, h('code', {}, e.type), ` at position ${e.position}`)),
        ),
      );
  }
  if (changes === null) parts.push(h('p', { class: 'muted' }, 'Loading changes…'));
  else if (changes.length === 0)
    parts.push(h('p', { id: 'changes-none', class: 'muted' }, 'No file changes.'));
  else
    parts.push(
      h('h3', {}, `Changes (${changes.length})`),
      h(
        'ul',
        { id: 'changes', class: 'changes' },
        changes.map((c) =>
          h(
            'li',
            { 'data-change': c.kind, 'data-path': c.path },
            badge(c.kind),
            ' ',
            c.kind === 'D'
              ? h('del', {}, c.path)
              : h('button', { type: 'button', class: 'link', onclick: () => pick(c.path) }, c.path),
          ),
        ),
      ),
    );
  fill(body, parts);
}

/** @param {'A' | 'C' | 'D'} kind */
const kindName = (kind) => ({ A: 'added', C: 'changed', D: 'deleted' })[kind];

/**
 * The A/C/D mark, with its meaning spelled out for screen readers.
 * @param {'A' | 'C' | 'D'} kind
 */
const badge = (kind) =>
  h(
    'span',
    { class: `badge ${kind}`, title: kindName(kind) },
    h('span', { 'aria-hidden': 'true' }, kind),
    h('span', { class: 'sr-only' }, ` ${kindName(kind)}`),
  );

/** @param {string} path */
function pick(path) {
  state.selected = path;
  select(state.index);
}

/**
 * @param {TreeNode} root
 * @param {Tree} tree
 * @param {Change[]} changes
 * @param {string | null} shown
 */
function renderTree(root, tree, changes, shown) {
  const element = byId('tree');
  if (tree.state === null) {
    fill(
      element,
      h(
        'p',
        { id: 'tree-empty', class: 'muted' },
        'The container does not exist as of this position (removed, or not yet created).',
      ),
    );
    return;
  }
  // Open along the changed paths, the file shown, and the directories opened by hand (so they
  // stay in sight at every point); a directory closed by hand stays closed.
  const opened = [...state.toggles].filter(([, isOpen]) => isOpen).map(([path]) => path);
  const open = new Set(['/']);
  for (const path of [...changes.map((c) => c.path), ...(shown ? [shown] : []), ...opened])
    for (const ancestor of ancestorsOf(path)) open.add(ancestor);
  const small = tree.entries.length <= openTreeLimit;
  /** @param {TreeNode} node */
  const isExpanded = (node) => state.toggles.get(node.path) ?? (small || open.has(node.path));
  const rows = visibleRows(root, isExpanded);
  fill(
    element,
    h('p', { class: 'state' }, `State: ${String(tree.state).toLowerCase()} · ${tree.entries.length} entries`),
    tree.truncated
      ? h('p', { class: 'muted' }, `Only the first ${tree.entries.length} entries are shown.`)
      : null,
    h(
      'ul',
      { class: 'rows', 'aria-label': 'File tree' },
      rows.map(({ node, depth, expanded }) => {
        const isDir = node.type === 'DIRECTORY' || (node.ghost && node.children.length > 0);
        const change = node.change ? badge(node.change) : null;
        const name = node.ghost ? h('del', {}, node.name) : h('span', { class: 'name' }, node.name);
        const suffix = [
          node.type === 'DIRECTORY' && !node.ghost ? '/' : '',
          node.linkTarget ? ` → ${node.linkTarget}` : '',
        ].join('');
        const hint =
          isDir && !expanded && node.changedBelow > 0
            ? h('span', { class: 'below', title: 'changes inside' }, ` ${node.changedBelow}Δ`)
            : null;
        /** @type {Record<string, string | number | boolean | undefined | ((e: any) => void)>} */
        const attrs = {
          type: 'button',
          class: `row${node.change ? ` ${node.change}` : ''}${node.ghost ? ' ghost' : ''}${node.path === shown ? ' selected' : ''}`,
          'data-path': node.path,
          'data-change': node.change ?? undefined,
          'data-type': node.type,
        };
        if (isDir && node.children.length > 0) {
          attrs['aria-expanded'] = expanded ? 'true' : 'false';
          attrs.onclick = () => {
            state.toggles.set(node.path, !expanded);
            select(state.index);
          };
        } else {
          attrs['aria-pressed'] = node.path === shown ? 'true' : 'false';
          attrs.onclick = () => pick(node.path);
        }
        const button = h(
          'button',
          attrs,
          h(
            'span',
            { class: 'twisty', 'aria-hidden': 'true' },
            isDir && node.children.length > 0 ? (expanded ? '▾' : '▸') : '',
          ),
          name,
          suffix,
          hint,
          change ? ' ' : '',
          change,
        );
        // Through the CSSOM: the page's CSP allows no inline style attributes.
        button.style.setProperty('--depth', String(depth));
        return h('li', {}, button);
      }),
    ),
  );
}

/**
 * @param {Point} point
 * @param {Tree} tree
 * @param {Change[]} changes
 * @param {string | null} path
 * @param {number} seq
 */
async function renderFile(point, tree, changes, path, seq) {
  const element = byId('file');
  const heading = byId('file-heading');
  if (!path) {
    fill(heading, 'File');
    fill(element, h('p', { class: 'muted' }, 'Pick a file in the tree to see its content as of this point.'));
    return;
  }
  fill(heading, h('code', { id: 'file-path' }, path), ` as of position ${point.position}`);
  const entry = tree.entries.find((e) => e.path === path);
  const deleted = changes.find((c) => c.path === path && c.kind === 'D');
  const before = state.points[state.index - 1];
  let position = point.position;
  /** @type {Node | null} */
  let note = null;
  if (!entry) {
    if (!deleted || !before) {
      fill(
        element,
        h(
          'p',
          { id: 'file-missing', class: 'muted' },
          `${path} does not exist as of position ${point.position}.`,
        ),
      );
      return;
    }
    position = before.position;
    note = h(
      'p',
      { id: 'file-deleted', class: 'deleted-note' },
      `Deleted at this point; its content as of position ${position}:`,
    );
  }
  const size = entry?.size ?? 0;
  const file = await fileAt(position, path, (entry ? entry.type === 'FILE' : true) && size <= maxShownBytes);
  if (seq !== state.seq) return;
  if (!file) {
    fill(
      element,
      h('p', { id: 'file-missing', class: 'muted' }, `${path} does not exist as of position ${position}.`),
    );
    return;
  }
  const origin = file.origin;
  const from = origin.layer
    ? `image layer ${origin.layer.diffId.slice(7, 19)}`
    : `position ${origin.position}${origin.operation ? ` (${origin.operation})` : ''}${origin.command ? ` by “${origin.command}”` : ''}`;
  /** @type {Node} */
  let body;
  if (file.type === 'FILE' && file.content !== null)
    body = h('pre', { id: 'file-content', class: `content${deleted && !entry ? ' was' : ''}` }, file.content);
  else if (file.type === 'FILE' && file.size > maxShownBytes)
    body = h('p', { class: 'muted' }, `Too large to show here (${file.size} bytes).`);
  else if (file.type === 'FILE' && file.size > 0)
    body = h('p', { class: 'muted' }, `Binary content (${file.size} bytes), not shown.`);
  else if (file.type === 'FILE') body = h('p', { id: 'file-empty', class: 'muted' }, '(empty file)');
  else if (file.type === 'SYMLINK')
    body = h('p', {}, 'Symbolic link to ', h('code', {}, file.linkTarget ?? ''));
  else body = h('p', { class: 'muted' }, `${file.type.toLowerCase().replace('_', ' ')}`);
  fill(
    element,
    note,
    h(
      'p',
      { class: 'meta' },
      `${file.type.toLowerCase()} · ${file.size} bytes · mode ${(file.mode & 0o7777).toString(8).padStart(4, '0')} · from ${from}`,
    ),
    body,
  );
}

// ---------------------------------------------------------------------------------------------
// Start

function setUpToken() {
  const input = /** @type {HTMLInputElement} */ (byId('token'));
  input.value = storedToken();
  byId('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    storeToken(input.value.trim());
    location.reload();
  });
}

setUpToken();
load(new URLSearchParams(location.search)).catch(showError);
