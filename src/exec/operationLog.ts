import { isWithin } from '../domain/fs/paths.ts';
import type { FsOperation } from './types.ts';

type Coalescable = Extract<FsOperation, { op: 'writeFile' | 'chmod' | 'chown' | 'utimes' }>;

const pathsOf = (op: FsOperation): string[] => {
  switch (op.op) {
    case 'rename':
      return [op.from, op.to];
    case 'hardlink':
      return [op.path, op.target];
    default:
      return [op.path];
  }
};

const related = (a: string, b: string) => isWithin(a, b) || isWithin(b, a);

/**
 * The ordered operations of one command, coalesced: a writeFile, chmod, chown or utimes on a path
 * replaces the previous operation of the same kind on the same path when no operation in between
 * touched that path, one of its ancestors or one of its descendants (nor used it as a hardlink
 * target). The kept operation stays at the earlier position; everything in between concerns other
 * paths, so applying the list still gives the same result. `echo a >> f; echo b >> f` is one
 * writeFile with the final content; `> f` (truncate) followed by the command's output is one too.
 */
export class OperationLog {
  private readonly ops: (FsOperation | undefined)[] = [];
  /** `${op}\0${path}` → index of the last coalescable operation still open for merging. */
  private readonly open = new Map<string, number>();

  record(op: FsOperation): void {
    if (op.op === 'writeFile' || op.op === 'chmod' || op.op === 'chown' || op.op === 'utimes') {
      const key = `${op.op}\0${op.path}`;
      const index = this.open.get(key);
      if (index !== undefined) {
        this.ops[index] = merge(this.ops[index] as Coalescable, op);
        return;
      }
      this.closeRelated(op);
      this.open.set(key, this.ops.length);
      this.ops.push(op);
      return;
    }
    this.closeRelated(op);
    this.ops.push(op);
  }

  /** The operations so far (a copy: later records do not change it). */
  list(): FsOperation[] {
    return this.ops.filter((op): op is FsOperation => op !== undefined);
  }

  get length(): number {
    return this.ops.length;
  }

  private closeRelated(op: FsOperation): void {
    if (this.open.size === 0) return;
    const paths = pathsOf(op);
    for (const key of this.open.keys()) {
      const path = key.slice(key.indexOf('\0') + 1);
      if (paths.some((p) => related(p, path))) this.open.delete(key);
    }
  }
}

function merge(earlier: Coalescable, later: Coalescable): Coalescable {
  if (earlier.op === 'writeFile' && later.op === 'writeFile') {
    const mode = later.mode ?? earlier.mode;
    return mode === undefined
      ? { op: 'writeFile', path: later.path, content: later.content }
      : { op: 'writeFile', path: later.path, content: later.content, mode };
  }
  return later;
}
