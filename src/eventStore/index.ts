export { type AppendContext, appendMulti, appendToStream } from './appendToStream.ts';
export { ensureCheckpoint, lockCheckpoint, readCheckpoint, storeCheckpoint } from './checkpoints.ts';
export {
  type ContentItem,
  type ContentSource,
  type ContentStat,
  ContentStore,
  contentChunkSize,
  getContent,
  hasContent,
  type PutContentOptions,
  type PutContentResult,
  putContent,
  putContents,
  readContent,
  statContent,
} from './contentStore.ts';
export { ConcurrencyError, DuplicateEventIdError } from './errors.ts';
export { isUuid, newEventId } from './eventId.ts';
export {
  createEventStore,
  EventStore,
  type EventStoreDatabase,
  type EventStoreOptions,
  type StoreAppendOptions,
} from './eventStore.ts';
export { head, lastPosition, positionAt, waitForVisible } from './head.ts';
export { type InlineProjection, runInlineProjections } from './inlineProjection.ts';
export {
  type AsyncProjection,
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type RunnerDatabase,
} from './projectionRunner.ts';
export { readAll, readAllPage } from './readAll.ts';
export { readStream, streamVersion } from './readStream.ts';
export { eventsChannel, type SubscribeOptions, type Subscription, subscribe } from './subscribe.ts';
export type { EventStoreTables } from './tables.ts';
export type * from './types.ts';
export { type Upcaster, Upcasters } from './upcasters.ts';
