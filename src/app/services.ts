import type { Notifications } from '../db/notifications.ts';
import type { AppContext } from './context.ts';

/**
 * What the API and the CLI's server side call: the command handlers' context (stores, database,
 * clock) and the LISTEN side for live subscriptions. Handlers are plain functions taking it
 * (src/app/*.ts); GraphQL resolvers reach it as `ctx.app`.
 */
export interface AppServices extends AppContext {
  notifications: Notifications;
}
