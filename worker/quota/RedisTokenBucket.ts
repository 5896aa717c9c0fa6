import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import {
  type BucketShape,
  checkRates,
  type QuotaLogger,
  type QuotaRates,
  type QuotaStore,
  type ReserveReply,
  resolveShape,
  silentLogger,
} from './rates.ts';

/**
 * The fleet's token buckets, one Lua script run atomically by Redis (the algorithm is described in types.ts, and
 * LocalTokenBucket.ts is its step-for-step twin). Server time only, so workers' clocks do not matter. Buckets are
 * created in full debt, so a Redis restart or FLUSHALL lets no burst through (nor the reservations taken ahead
 * before it, which are still waiting for their turn); a crashed worker leaks nothing (the state is
 * a level and a timestamp, not slots); rates arrive with every call, so a change takes effect at once.
 * KEYS: tokens bucket, requests bucket, AIMD state. ARGV: op, tpm, rpm, minuteMs, burst, debt, pause (fractions of
 * a minute), cooldown (quota ms), decrease, increase per minute, min factor, idle TTL ms, a (tokens), b (requests),
 * probe per minute, memory (quota ms), and optionally a time in ms instead of the server's (tests only: it lets them
 * replay a sequence against the twin).
 */
const BUCKET_LUA = `
local op = ARGV[1]
local tpm, rpm, minute = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local burst, debt, pause = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local cooldown, decrease, increase, floor = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local ttl, a, b = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
local probe, memory = tonumber(ARGV[15]), tonumber(ARGV[16])
local now = tonumber(ARGV[17])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end
local s = redis.call('HMGET', KEYS[3], 'base', 'since', 'cut', 'ceiling')
local factor = 1
if s[1] then
  -- Back up fast to where the last throttle struck, then probe slowly above it.
  local base, ceiling = tonumber(s[1]), tonumber(s[4]) or 1
  local minutes = math.max(0, now - tonumber(s[2])) / minute
  factor = base + minutes * increase
  if factor > ceiling then factor = ceiling + (minutes - (ceiling - base) / increase) * probe end
  factor = math.min(1, factor)
end
local function load(key, perMinute)
  local v = redis.call('HMGET', key, 'level', 'ts')
  local quota = perMinute * factor
  local level, ts = tonumber(v[1]) or -quota * debt, tonumber(v[2]) or now
  return math.min(quota * burst, level + math.max(0, now - ts) * quota / minute), quota / minute, quota
end
local tl, tr, tq = load(KEYS[1], tpm)
local rl, rr, rq = load(KEYS[2], rpm)
local admitted, wait = 1, 0
if op == 'reserve' then
  if tl >= -tq * debt and rl >= -rq * debt then
    tl, rl = tl - a, rl - b
    wait = math.max(0, -tl / tr, -rl / rr)
  else
    admitted = 0
    wait = math.max(0, (-tq * debt - tl) / tr, (-rq * debt - rl) / rr)
  end
elseif op == 'refund' then
  tl, rl = math.min(tq * burst, tl + a), math.min(rq * burst, rl + b)
elseif op == 'throttle' and (not s[3] or now - tonumber(s[3]) >= cooldown * minute / 60000) then
  -- A throttle soon after the last cut: the quota really is lower, cut deeper and only probe back up.
  local again = s[3] and now - tonumber(s[3]) < memory * minute / 60000
  local ceiling = factor
  if again then factor = math.max(floor, factor * decrease * decrease); ceiling = factor
  else factor = math.max(floor, factor * decrease) end
  redis.call('HSET', KEYS[3], 'base', tostring(factor), 'since', tostring(now), 'cut', tostring(now),
    'ceiling', tostring(ceiling))
  tl, rl = math.min(tl, 0) - tpm * factor * pause, math.min(rl, 0) - rpm * factor * pause
end
redis.call('HSET', KEYS[1], 'level', tostring(tl), 'ts', tostring(now))
redis.call('HSET', KEYS[2], 'level', tostring(rl), 'ts', tostring(now))
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
return {admitted, math.ceil(wait), tostring(factor)}
`;

const COMMAND = 'quotaBucket';
const Reply = z.tuple([z.coerce.number().int(), z.coerce.number().min(0), z.coerce.number().positive()]);
type BucketCommand = (...args: (string | number)[]) => Promise<unknown>;

export interface RedisTokenBucketOptions {
  /** The client; see {@link createQuotaRedis} for settings that fail fast when Redis is down. */
  redis: Redis;
  /** Model id or inference profile: one set of buckets per model, since Bedrock's quotas are per model. */
  modelId: string;
  /** Fleet-wide rates admitted at factor 1, per quota minute (quota × target). */
  rates: QuotaRates;
  shape?: Partial<BucketShape>;
  /** Key prefix. Default `quota`: keys `quota:{modelId}:tokens`, `:requests`, `:aimd` (one Redis Cluster slot). */
  keyPrefix?: string;
  /** Keys of an idle model expire after this long, ms. Default max(60 000, 10 quota minutes). */
  idleTtlMs?: number;
  /** Whether {@link RedisTokenBucket.close} disconnects the client. Default false. */
  ownsClient?: boolean;
  /** Tests only: a clock to use instead of Redis server time, ms. */
  clock?: () => number;
}

/** Quota buckets shared by every worker through one Redis. Throws (rejects) when Redis does not answer. */
export class RedisTokenBucket implements QuotaStore {
  readonly name = 'redis';
  readonly keys: readonly [string, string, string];
  private readonly redis: Redis;
  private readonly shape: BucketShape;
  private readonly idleTtlMs: number;
  private readonly command: BucketCommand;
  private readonly ownsClient: boolean;
  private readonly clock: (() => number) | undefined;
  private current: QuotaRates;
  private lastFactor = 1;

  constructor(options: RedisTokenBucketOptions) {
    this.redis = options.redis;
    this.ownsClient = options.ownsClient ?? false;
    this.clock = options.clock;
    this.shape = resolveShape(options.shape);
    this.current = checkRates(options.rates);
    this.idleTtlMs = Math.ceil(options.idleTtlMs ?? Math.max(60_000, 10 * this.shape.minuteMs));
    const tag = `${options.keyPrefix ?? 'quota'}:{${options.modelId.replace(/[{}]/g, '_')}}`;
    this.keys = [`${tag}:tokens`, `${tag}:requests`, `${tag}:aimd`];
    // defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT (a restarted or flushed Redis), per connection.
    this.redis.defineCommand(COMMAND, { numberOfKeys: 3, lua: BUCKET_LUA });
    this.command = (this.redis as unknown as Record<string, BucketCommand>)[COMMAND]!.bind(this.redis);
  }

  async reserve(tokens: number): Promise<ReserveReply> {
    const [admitted, waitMs, factor] = await this.run('reserve', tokens, 1);
    if (admitted !== 1) return { admitted: false, waitMs, factor };
    return {
      admitted: true,
      waitMs,
      factor,
      refund: async (refundTokens: number, requests = 0) => {
        await this.run('refund', refundTokens, requests);
      },
    };
  }

  async throttled(): Promise<number> {
    const [, , factor] = await this.run('throttle', 0, 0);
    return factor;
  }

  setRates(rates: QuotaRates): void {
    this.current = checkRates(rates);
  }

  get minuteMs(): number {
    return this.shape.minuteMs;
  }

  rates(): QuotaRates {
    return { ...this.current };
  }

  factor(): number {
    return this.lastFactor;
  }

  mode(): 'redis' {
    return 'redis';
  }

  /** Resolves when Redis answers a PING. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  client(): Redis {
    return this.redis;
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.redis.disconnect();
  }

  private async run(op: 'reserve' | 'refund' | 'throttle', a: number, b: number): Promise<[number, number, number]> {
    const s = this.shape;
    const raw = await this.command(
      ...this.keys,
      op,
      this.current.tokensPerMinute,
      this.current.requestsPerMinute,
      s.minuteMs,
      s.burstMs / 60_000,
      s.maxDebtMs / 60_000,
      s.pauseMs / 60_000,
      s.cooldownMs,
      s.decrease,
      s.increasePerMinute,
      s.minFactor,
      this.idleTtlMs,
      a,
      b,
      s.probePerMinute,
      s.memoryMs,
      ...(this.clock ? [this.clock()] : []),
    );
    const reply = Reply.parse(raw);
    this.lastFactor = reply[2];
    return reply;
  }
}

export interface QuotaRedisOptions {
  /** Longest wait for one command (and for a connection), ms. Default 1 000: past it the worker falls back. */
  timeoutMs?: number;
  /** Longest pause between reconnection attempts, ms. Default 1 000. */
  maxReconnectDelayMs?: number;
  logger?: QuotaLogger;
}

/**
 * An ioredis client set to fail fast instead of queueing: while Redis is unreachable every command is rejected at
 * once (no offline queue, no resend after a reconnect, which could take a reservation nobody waits for any more) or
 * after `timeoutMs`, so the limiter falls back to its local share; it keeps reconnecting in the background forever.
 */
export function createQuotaRedis(url: string, options: QuotaRedisOptions = {}): Redis {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const maxDelay = options.maxReconnectDelayMs ?? 1_000;
  const logger = options.logger ?? silentLogger;
  const settings: RedisOptions = {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    connectionName: 'image-catalogue-quota',
  };
  const redis = new Redis(url, settings);
  // Without a listener ioredis prints every connection error; the failover store logs the switches instead.
  redis.on('error', (error: Error) => logger.debug({ err: error.message }, 'quota redis error'));
  return redis;
}
