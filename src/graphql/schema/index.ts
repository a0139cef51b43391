import type { GraphQLSchema } from 'graphql';
import { builder } from '../builder.ts';
import './modules.ts';

/** Leaves out Mutation/Subscription while they have no fields (GraphQL forbids empty object types). */
function withoutEmptyRootTypes(built: GraphQLSchema): GraphQLSchema {
  const config = built.toConfig();
  const empty = [config.mutation, config.subscription].filter(
    (type) => type && Object.keys(type.getFields()).length === 0,
  );
  if (empty.length === 0) return built;
  // The built schema's own class: the copy of graphql Pothos uses, whichever copy imported us.
  const Schema = built.constructor as typeof GraphQLSchema;
  return new Schema({
    ...config,
    mutation: empty.includes(config.mutation) ? undefined : config.mutation,
    subscription: empty.includes(config.subscription) ? undefined : config.subscription,
    types: config.types.filter((type) => !empty.includes(type as never)),
  });
}

/** The Strata GraphQL schema. */
export const schema = withoutEmptyRootTypes(builder.toSchema());
