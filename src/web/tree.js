// @ts-check
/**
 * The file tree shown at a point: the container's entries as of its position, each marked with the
 * change the point made to it (A/C/D), plus the deleted paths, which are no longer in the view and
 * come back as struck-through "ghost" rows. Pure: no DOM, no fetch.
 */

/**
 * @typedef {import('./api.js').Entry} Entry
 * @typedef {import('./api.js').Change} Change
 * @typedef {{
 *   path: string, name: string, type: string, size: number, linkTarget: string | null,
 *   change: 'A' | 'C' | 'D' | null, ghost: boolean, children: TreeNode[], changedBelow: number,
 * }} TreeNode
 * @typedef {{ node: TreeNode, depth: number, expanded: boolean }} Row
 */

/** @param {string} path */
export const parentOf = (path) => {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
};

/** @param {string} path */
const nameOf = (path) => (path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1));

/**
 * @param {string} path
 * @returns {string[]} `/a/b/c` → `['/', '/a', '/a/b']`
 */
export function ancestorsOf(path) {
  const result = ['/'];
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) result.push(`/${parts.slice(0, i).join('/')}`);
  return path === '/' ? [] : result;
}

/**
 * @param {Entry[]} entries
 * @param {Change[]} changes
 * @returns {TreeNode}
 */
export function buildTree(entries, changes) {
  /** @type {Map<string, TreeNode>} */
  const nodes = new Map();
  /**
   * @param {string} path
   * @param {Partial<TreeNode>} fields
   */
  const make = (path, fields) => {
    /** @type {TreeNode} */
    const node = {
      path,
      name: nameOf(path),
      type: 'DIRECTORY',
      size: 0,
      linkTarget: null,
      change: null,
      ghost: false,
      children: [],
      changedBelow: 0,
      ...fields,
    };
    nodes.set(path, node);
    return node;
  };
  const root = make('/', {});
  for (const entry of entries) {
    if (entry.path === '/') Object.assign(root, { type: entry.type, size: entry.size });
    else make(entry.path, { type: entry.type, size: entry.size, linkTarget: entry.linkTarget });
  }
  for (const change of changes) {
    const node = nodes.get(change.path);
    if (node) node.change = change.kind;
    else if (change.kind === 'D') make(change.path, { type: 'DELETED', change: 'D', ghost: true });
  }
  /**
   * A parent missing from the entries (a deleted directory's ghost child, or a truncated tree).
   * @param {string} path
   * @param {boolean} ghost
   * @returns {TreeNode}
   */
  const parentNode = (path, ghost) => nodes.get(path) ?? link(make(path, { ghost }));
  /** @param {TreeNode} node */
  const link = (node) => {
    if (node.path !== '/') parentNode(parentOf(node.path), node.ghost).children.push(node);
    return node;
  };
  for (const node of [...nodes.values()]) link(node);
  for (const node of nodes.values()) {
    node.children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (!node.change) continue;
    for (const ancestor of ancestorsOf(node.path)) {
      const above = nodes.get(ancestor);
      if (above) above.changedBelow++;
    }
  }
  return root;
}

/**
 * The visible rows, depth first: a directory's children only when it is expanded. The root is
 * not a row of its own.
 * @param {TreeNode} root
 * @param {(node: TreeNode) => boolean} isExpanded
 * @returns {Row[]}
 */
export function visibleRows(root, isExpanded) {
  /** @type {Row[]} */
  const rows = [];
  /**
   * @param {TreeNode} node
   * @param {number} depth
   */
  const walk = (node, depth) => {
    for (const child of node.children) {
      const expanded = child.children.length > 0 && isExpanded(child);
      rows.push({ node: child, depth, expanded });
      if (expanded) walk(child, depth + 1);
    }
  };
  walk(root, 0);
  return rows;
}
