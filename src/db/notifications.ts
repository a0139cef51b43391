import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** Called with a notification's payload. After a lost-and-restored connection it is called once
 * with an empty payload, meaning "something may have been missed: re-check". */
export type NotifyHandler = (payload: string) => void;

/**
 * LISTEN side of PostgreSQL notifications, the same on both backends. NOTIFY is sent with
 * `pg_notify(channel, payload)` inside the writing transaction (delivered at its commit).
 */
export interface Notifications {
  /** Starts listening; resolves once LISTEN is in effect. Returns the function that stops it. */
  listen(channel: string, onNotify: NotifyHandler): Promise<() => Promise<void>>;
  /** Stops every listener and releases the connection. */
  close(): Promise<void>;
}

const channelPattern = /^[a-z_][a-z0-9_]{0,62}$/;

function assertChannel(channel: string): void {
  if (!channelPattern.test(channel)) throw new Error(`invalid notification channel "${channel}"`);
}

/** Fans one connection's notifications out to many handlers per channel. */
abstract class Fanout implements Notifications {
  protected readonly handlers = new Map<string, Set<NotifyHandler>>();
  private readonly ready = new Map<string, Promise<void>>();
  protected closed = false;

  protected abstract startChannel(channel: string): Promise<void>;
  protected abstract stopChannel(channel: string): Promise<void>;
  abstract close(): Promise<void>;

  protected dispatch(channel: string, payload: string): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(payload);
      } catch {
        // A handler's failure must not starve the others.
      }
    }
  }

  async listen(channel: string, onNotify: NotifyHandler): Promise<() => Promise<void>> {
    assertChannel(channel);
    if (this.closed) throw new Error('notifications are closed');
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      const started = this.startChannel(channel);
      this.ready.set(channel, started);
      started.catch(() => {
        this.handlers.delete(channel);
        this.ready.delete(channel);
      });
    }
    set.add(onNotify);
    await this.ready.get(channel);
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      const current = this.handlers.get(channel);
      current?.delete(onNotify);
      if (current && current.size === 0) {
        this.handlers.delete(channel);
        this.ready.delete(channel);
        if (!this.closed) await this.stopChannel(channel).catch(() => {});
      }
    };
  }
}

/** PostgreSQL: one dedicated client (not from the pool) for LISTEN; reconnects with back-off. */
export class PgNotifications extends Fanout {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly config: pg.ClientConfig) {
    super();
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client(this.config);
      client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? ''));
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      try {
        await client.connect();
      } catch (error) {
        this.connecting = undefined;
        throw error;
      }
      this.client = client;
      this.connecting = undefined;
      return client;
    })();
    return this.connecting;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => {});
    if (!this.closed) this.scheduleReconnect(100);
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.reconnectTimer || this.closed || this.handlers.size === 0) return;
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = undefined;
      try {
        const client = await this.connect();
        for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
        for (const channel of this.handlers.keys()) this.dispatch(channel, '');
      } catch {
        this.scheduleReconnect(Math.min(delayMs * 2, 5_000));
      }
    }, delayMs);
    this.reconnectTimer.unref();
  }

  protected async startChannel(channel: string): Promise<void> {
    const client = await this.connect();
    await client.query(`LISTEN ${channel}`);
  }

  protected async stopChannel(channel: string): Promise<void> {
    if (this.client) await this.client.query(`UNLISTEN ${channel}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}

/**
 * PGlite: its own `listen` API. `exclusive` runs a function while no Kysely transaction is open on
 * the single PGlite connection, so that LISTEN never lands inside (and rolls back with) a transaction.
 */
export class PgliteNotifications extends Fanout {
  private readonly unsubscribers = new Map<string, () => Promise<void>>();

  constructor(
    private readonly pglite: PGlite,
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {
    super();
  }

  protected async startChannel(channel: string): Promise<void> {
    const unsubscribe = await this.exclusive(() =>
      this.pglite.listen(channel, (payload) => this.dispatch(channel, payload)),
    );
    this.unsubscribers.set(channel, unsubscribe);
  }

  protected async stopChannel(channel: string): Promise<void> {
    const unsubscribe = this.unsubscribers.get(channel);
    this.unsubscribers.delete(channel);
    if (unsubscribe && !this.pglite.closed) await this.exclusive(() => unsubscribe());
  }

  async close(): Promise<void> {
    const channels = [...this.unsubscribers.keys()];
    this.closed = true;
    this.handlers.clear();
    for (const channel of channels) await this.stopChannel(channel).catch(() => {});
  }
}
