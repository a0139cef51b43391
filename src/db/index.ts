export type { Backend, Database, Db, Trx } from './database.ts';
export { FolderMigrationProvider, migrateToLatest, migrationsFolder } from './migrate.ts';
export type { Notifications, NotifyHandler } from './notifications.ts';
export {
  backendOf,
  type DatabaseHandle,
  type OpenDatabaseOptions,
  openDatabase,
  pgliteHandle,
} from './openDatabase.ts';
