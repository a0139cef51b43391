import { builder } from '../builder.ts';
import type { ServerInfo } from '../context.ts';

const ServerInfoType = builder.objectRef<ServerInfo>('ServerInfo').implement({
  description: 'The server answering: its version and event store engine.',
  fields: (t) => ({
    version: t.exposeString('version', { description: "Strata's version (package.json)." }),
    backend: t.exposeString('backend', { description: '`postgres` or `pglite`.' }),
  }),
});

builder.queryField('serverInfo', (t) =>
  t.field({ type: ServerInfoType, resolve: (_root, _args, ctx) => ctx.server }),
);
