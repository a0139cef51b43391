import { builder } from '../builder.ts';

// Reading needs the `read` scope, writing `write` (admin implies both); see src/server/auth.ts.
builder.queryType({ authScopes: { read: true } });
builder.mutationType({ authScopes: { write: true } });
builder.subscriptionType({ authScopes: { read: true } });

// The Node interface and Query.node(id: ID!): Node, as the contract has them.
builder.nodeInterfaceRef();
// PageInfo, shared by every connection (ImageConnection, EventConnection, …).
builder.pageInfoRef();
