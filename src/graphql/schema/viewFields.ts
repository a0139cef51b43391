import { notFoundError } from '../../domain/errors.ts';
import type { FileView } from '../../projections/fileView.ts';
import type { StrataSchemaTypes } from '../builder.ts';
import { resolvePage } from '../connections.ts';
import type { GraphQLContext } from '../context.ts';
import { FileEntryConnection } from './fileEntry.ts';
import { FileEntryRef } from './refs.ts';
import type { AtPosition } from './shapes.ts';

type Types = PothosSchemaTypes.ExtendDefaultTypes<StrataSchemaTypes>;
type FieldBuilder<Parent> = PothosSchemaTypes.ObjectFieldBuilder<Types, Parent>;

/**
 * The merged-filesystem fields an image and a container share: `file`, `directory`, `files`,
 * each read from `view(parent)` at the parent's position.
 */
export function viewFields<Parent extends AtPosition>(
  t: FieldBuilder<Parent>,
  view: (parent: Parent, ctx: GraphQLContext) => Promise<FileView>,
) {
  return {
    file: t.field({
      type: FileEntryRef,
      nullable: true,
      args: { path: t.arg.string({ required: true }) },
      description: 'One path of the merged view (a symlink itself, not followed), or null.',
      resolve: async (parent, { path }, ctx) => {
        const entry = await (await view(parent, ctx)).lookup(path);
        return entry ? { entry, asOf: parent.asOf } : null;
      },
    }),
    directory: t.field({
      type: [FileEntryRef],
      args: { path: t.arg.string({ required: true, defaultValue: '/' }) },
      description: 'The entries directly inside a directory, by name.',
      resolve: async (parent, { path }, ctx) =>
        (await (await view(parent, ctx)).list(path)).map((entry) => ({ entry, asOf: parent.asOf })),
    }),
    files: t.connection(
      {
        type: FileEntryRef,
        args: { prefix: t.arg.string({ defaultValue: '/' }) },
        description: 'Every entry of the merged view under `prefix`, recursively, in path order.',
        resolve: async (parent, args, ctx) => {
          const fileView = await view(parent, ctx);
          const prefix = args.prefix ?? '/';
          return resolvePage(args, ctx, {
            kind: 'file',
            key: (shape: { entry: { node: { path: string } } }) => shape.entry.node.path,
            fetch: async (after, limit) => {
              if (after === null && !(await fileView.lookup(prefix)))
                throw notFoundError(`no such file or directory: ${prefix}`, { path: prefix });
              const page = await fileView.files(prefix, limit, after ?? undefined);
              return page.entries.map((entry) => ({ entry, asOf: parent.asOf }));
            },
          });
        },
      },
      FileEntryConnection,
    ),
  };
}
