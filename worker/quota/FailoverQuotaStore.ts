import type { LocalTokenBucket } from './LocalTokenBucket.ts';
import type { RedisTokenBucket } from './RedisTokenBucket.ts';
import { type QuotaLogger, type QuotaRates, type QuotaStore, type ReserveReply, silentLogger } from './rates.ts';

export interface FailoverQuotaStoreOptions {
  /** The fleet's shared buckets. */
  primary: RedisTokenBucket;
  /** This worker's own buckets (made with `share: 1 / FLEET_SIZE`), used while Redis is unreachable. */
  fallback: LocalTokenBucket;
  /** While on the fallback, how often to try Redis again, ms. Default 1 000. */
  probeMs?: number;
  /** At start-up, how long the first calls wait for the first connection before falling back, ms. Default 1 000. */
  connectWaitMs?: number;
  logger?: QuotaLogger;
  /** Clock, ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * Redis first; when a call to it fails (refused, reset, timed out) switch to the local share of the quota at once,
 * and switch back when a probe (a PING at most every `probeMs`, and at each reconnection) succeeds. Each switch is
 * logged once. A reservation is always refunded to the store that granted it.
 */
export class FailoverQuotaStore implements QuotaStore {
  readonly name = 'redis|local';
  private readonly primary: RedisTokenBucket;
  private readonly fallback: LocalTokenBucket;
  private readonly probeMs: number;
  private readonly logger: QuotaLogger;
  private readonly now: () => number;
  private active: 'redis' | 'local' = 'redis';
  private lastProbe = Number.NEGATIVE_INFINITY;
  private probing: Promise<void> | undefined;
  private switches = 0;
  /** Settles when the client first became ready, or gave up waiting for it. */
  private firstConnection: Promise<void> | undefined;
  private readonly onReady = () => {
    if (this.active === 'local') void this.probe();
  };

  constructor(options: FailoverQuotaStoreOptions) {
    this.primary = options.primary;
    this.fallback = options.fallback;
    this.probeMs = options.probeMs ?? 1_000;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.fallback.setRates(this.primary.rates());
    const client = this.primary.client();
    client.on('ready', this.onReady);
    if (client.status !== 'ready') {
      // A worker that has just started should not log an outage for the few ms its first connection takes.
      this.firstConnection = new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          client.off('ready', done);
          this.firstConnection = undefined;
          resolve();
        };
        const timer = setTimeout(done, options.connectWaitMs ?? 1_000);
        client.once('ready', done);
      });
    }
  }

  async reserve(tokens: number): Promise<ReserveReply> {
    return this.either((store) => store.reserve(tokens));
  }

  async throttled(): Promise<number> {
    return this.either((store) => store.throttled());
  }

  setRates(rates: QuotaRates): void {
    this.primary.setRates(rates);
    this.fallback.setRates(rates);
  }

  get minuteMs(): number {
    return this.primary.minuteMs;
  }

  rates(): QuotaRates {
    return this.active === 'redis' ? this.primary.rates() : this.fallback.rates();
  }

  factor(): number {
    return this.active === 'redis' ? this.primary.factor() : this.fallback.factor();
  }

  mode(): 'local' | 'redis' {
    return this.active;
  }

  /** How many times the store switched between Redis and the local share. */
  switchCount(): number {
    return this.switches;
  }

  /** Tries Redis now (also done by itself while on the fallback); resolves when the attempt is over. */
  probe(): Promise<void> {
    this.probing ??= (async () => {
      this.lastProbe = this.now();
      try {
        await this.primary.ping();
        this.switchTo('redis');
      } catch {
        // still down: stay on the local share
      } finally {
        this.probing = undefined;
      }
    })();
    return this.probing;
  }

  async close(): Promise<void> {
    this.primary.client().off('ready', this.onReady);
    await this.firstConnection;
    await this.probing;
    await this.primary.close();
    await this.fallback.close();
  }

  private async either<T>(call: (store: QuotaStore) => Promise<T>): Promise<T> {
    if (this.firstConnection) await this.firstConnection;
    if (this.active === 'redis') {
      try {
        return await call(this.primary);
      } catch (error) {
        this.switchTo('local', error);
      }
    } else if (this.now() - this.lastProbe >= this.probeMs) {
      void this.probe();
    }
    return call(this.fallback);
  }

  private switchTo(mode: 'redis' | 'local', error?: unknown): void {
    if (this.active === mode) return;
    this.active = mode;
    this.switches += 1;
    if (mode === 'local') {
      this.lastProbe = this.now();
      this.fallback.reset();
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        { reason, rates: this.fallback.rates() },
        "quota store unreachable: using this worker's share of the quota",
      );
    } else {
      this.logger.info({ rates: this.primary.rates() }, 'quota store reachable again: using the shared buckets');
    }
  }
}
