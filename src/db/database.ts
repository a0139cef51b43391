import type { Kysely, Transaction } from 'kysely';
import type { EventStoreTables } from '../eventStore/tables.ts';
// Read-model tables: src/projections/tables.ts (owned by the projections module).
import type { ProjectionTables } from '../projections/tables.ts';

/**
 * The whole database schema as Kysely sees it: the union of every module's table interfaces.
 * A module that adds tables exports an interface of them from its own `tables.ts` and is listed here.
 */
export interface Database extends EventStoreTables, ProjectionTables {}

/** A Kysely handle on Strata's database; transactions are Kysely handles too. */
export type Db = Kysely<Database>;

/** A transaction on Strata's database. */
export type Trx = Transaction<Database>;

/** Which engine a handle runs on. */
export type Backend = 'postgres' | 'pglite';
