import type {
  ArgBuilder,
  InputFieldMap,
  InputShapeFromFields,
  MaybePromise,
  ShapeFromTypeParam,
  TypeParam,
} from '@pothos/core';
import type { GraphQLResolveInfo } from 'graphql';
import { builder, type StrataSchemaTypes } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { strataErrorTypes } from './errors.ts';

type Types = PothosSchemaTypes.ExtendDefaultTypes<StrataSchemaTypes>;
type Scopes = { [S in keyof StrataSchemaTypes['AuthScopes']]?: boolean };

export interface MutationSpec<Type extends TypeParam<Types>, Args extends InputFieldMap> {
  /** The Success member's `data` type. */
  type: Type;
  /** `(arg) => ({ container: arg.string({ required: true }) })`, as `t.arg` in Pothos. */
  args?: (arg: ArgBuilder<Types>) => Args;
  description?: string;
  /** Extra scopes on top of `write` (every mutation needs it), e.g. `{ admin: true }`. */
  authScopes?: Scopes;
  resolve: (
    args: InputShapeFromFields<Args>,
    ctx: GraphQLContext,
    info: GraphQLResolveInfo,
  ) => MaybePromise<ShapeFromTypeParam<Types, Type, false>>;
}

/**
 * Declares `Mutation.<name>` the contract's way, in one statement:
 *
 *   mutationField('startContainer', {
 *     type: Container,
 *     args: (arg) => ({ container: arg.string({ required: true }) }),
 *     resolve: (args, ctx) => ctx.app.containers.start(args.container),
 *   });
 *
 * gives `startContainer(container: String!): MutationStartContainerResult!` where the union is
 * `MutationStartContainerSuccess { data: Container! }` | ValidationError | NotFoundError |
 * ConflictError | ConcurrencyError | IntegrityError | UnauthorizedError | ForbiddenError | UpstreamError.
 * A thrown StrataError becomes the member for its code (auth failures too); any other error is
 * unexpected and masked by Yoga's maskError (src/graphql/errors.ts): logged with an id, never shown.
 */
/**
 * Runs a mutation's resolver; afterwards (it wrote, or may have) the request reads "now" anew:
 * its settled position and its per-request loaders of "now" are dropped, so this payload and those
 * of later mutations in the same document show the write. (Mutation fields run one after the
 * other, each payload complete before the next resolver starts.)
 */
async function afterWrite<T>(ctx: GraphQLContext, run: () => MaybePromise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    ctx.reads.forgetNow();
    ctx.loaders.clear();
  }
}

export function mutationField<
  Type extends TypeParam<Types>,
  Args extends InputFieldMap = Record<string, never>,
>(name: string, spec: MutationSpec<Type, Args>) {
  const { resolve, authScopes, args, ...options } = spec;
  return builder.mutationField(name, (t) =>
    t.field({
      ...options,
      args: args ? args(t.arg) : {},
      ...(authScopes ? { authScopes } : {}),
      errors: { types: strataErrorTypes },
      resolve: (
        _root: unknown,
        args: InputShapeFromFields<Args>,
        ctx: GraphQLContext,
        info: GraphQLResolveInfo,
      ) => afterWrite(ctx, () => resolve(args, ctx, info)),
    } as never),
  );
}
