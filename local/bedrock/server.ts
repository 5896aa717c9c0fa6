import { randomUUID } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createDeterministicAnalyser } from './analysers/deterministic.ts';
import type { Analyser } from './analysers/types.ts';
import { type BatchJob, BatchJobs, BatchPatchSchema, type BatchStandInOptions } from './batch/BatchJobs.ts';
import type { BatchOptions, BatchSettings } from './batch/settings.ts';
import { type BedrockError, validationError } from './errors.ts';
import { FaultInjector, type FaultOptions, type FaultSettings } from './faults.ts';
import { type Api, emptyServiceCounters, ModelService, type ServiceCounters } from './ModelService.ts';
import { ModelQuota } from './modelQuota.ts';
import { AccessList } from './modelRules.ts';
import { type ModelQuotaStats, type QuotaCounters, QuotaKeeper } from './quota.ts';

export interface BedrockStandInOptions {
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Who answers. Default the deterministic analyser. The stand-in calls its `init()` and, on close, `close()`. */
  analyser?: Analyser;
  /** Length of a quota "minute", ms; shorter compresses time. Default 60000. */
  minuteMs?: number;
  /** Quota of every model without an override. Default { rpm: 1000, tpm: 2000000, outputBurndown: 1 }. */
  quota?: Partial<ModelQuota>;
  /** Per-model quota overrides, keyed by model id (ARN prefix removed). Default none. */
  models?: Record<string, Partial<ModelQuota>>;
  /** Latency and fault injection. Default none. */
  faults?: FaultOptions;
  /** Largest request body, bytes; larger is a ValidationException. Default 25 MiB. */
  maxBodyBytes?: number;
  /** Logs failures (error) and each request (debug). Default silent. */
  logger?: Logger;
  /**
   * Models whose access is denied (AccessDeniedException), by row key (`claude-haiku-5-5`), model or profile id;
   * `*` for all. Change at run time with {@link BedrockStandIn.setAccess} or `PUT /_standin/access`. Default none.
   */
  deniedModels?: readonly string[];
  /**
   * Batch inference (the control plane's model-invocation-job calls): the S3 endpoint jobs read and write, limits and
   * time compression. Without `s3Endpoint`, creating a job is refused. Default: Bedrock's default limits.
   */
  batch?: BatchStandInOptions;
}

/** Models to deny and to grant again (row keys, model or profile ids, `*`). */
type AccessPatch = { deny?: string[]; grant?: string[] };
const AccessPatchSchema = z.strictObject({
  deny: z.array(z.string()).optional(),
  grant: z.array(z.string()).optional(),
});

/** A change of quota: of the model `modelId` when given, else the default of every model without an override. */
type QuotaPatch = Partial<ModelQuota> & { modelId?: string };

export interface StandInStats extends ServiceCounters {
  analyser: string;
  startedAt: string;
  uptimeMs: number;
  minuteMs: number;
  quota: { default: ModelQuota; overrides: Record<string, Partial<ModelQuota>> };
  faultSettings: FaultSettings;
  /** Quota counters summed over models. */
  totals: QuotaCounters;
  /** Quota counters, rolling window and per-minute buckets of each model. */
  models: Record<string, ModelQuotaStats>;
}

export interface BedrockStandIn {
  /** e.g. http://127.0.0.1:PORT: pass as `endpoint` to BedrockRuntimeClient. */
  url: string;
  port: number;
  stats(): StandInStats;
  /** Forgets every counter, the quota windows and the minute buckets (settings stay). */
  resetStats(): void;
  setQuota(patch: QuotaPatch): void;
  setFaults(patch: FaultOptions): void;
  /** Changes the batch settings (failure rate, limits, timings); returns them. */
  setBatch(patch: BatchOptions): BatchSettings;
  /** Every batch inference job created, newest first. */
  batchJobs(): BatchJob[];
  /** Denies or grants model access at run time; returns the models denied now. */
  setAccess(patch: AccessPatch): string[];
  /** Stops listening, drops open connections and in-flight requests, closes the analyser. */
  close(): Promise<void>;
}

const QuotaPatchSchema = ModelQuota.partial()
  .extend({ modelId: z.string().min(1).optional() })
  .strict();
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/**
 * Starts the Bedrock Runtime stand-in: Converse and InvokeModel (Anthropic Messages body) for Claude model ids, with
 * Bedrock's validation, quota (rolling-minute requests and tokens, reserve at start, settle at end) and error wire
 * format, plus latency and faults; and the control plane's batch inference jobs (batch/BatchJobs.ts), which read
 * their JSONL input from the S3 stand-in and write Bedrock's output files back. It speaks HTTP/2 cleartext, as the Bedrock Runtime client needs by default, and
 * HTTP/1.1 on the same port, so `fetch` and `curl` reach the admin routes under `/_standin/`.
 */
export async function createBedrockStandIn(options: BedrockStandInOptions = {}): Promise<BedrockStandIn> {
  const analyser = options.analyser ?? createDeterministicAnalyser();
  await analyser.init?.();
  const quota = new QuotaKeeper({ minuteMs: options.minuteMs, quota: options.quota, models: options.models });
  const faults = new FaultInjector(options.faults);
  const abort = new AbortController();
  const access = new AccessList(options.deniedModels);
  const service = new ModelService(analyser, quota, faults, abort.signal, options.logger, access);
  const batch = new BatchJobs(options.batch ?? {}, service, abort.signal, options.logger);
  const maxBodyBytes = options.maxBodyBytes ?? 25 * 1024 * 1024;
  let startedAt = Date.now();

  const stats = (): StandInStats => {
    const q = quota.stats();
    return {
      analyser: analyser.name,
      startedAt: new Date(startedAt).toISOString(),
      uptimeMs: Date.now() - startedAt,
      minuteMs: q.minuteMs,
      quota: { default: q.default, overrides: q.overrides },
      faultSettings: faults.current,
      totals: q.totals,
      models: q.models,
      ...structuredClone(service.counters),
    };
  };
  const resetStats = () => {
    quota.reset();
    service.counters = emptyServiceCounters();
    startedAt = Date.now();
  };
  const setQuota = (patch: QuotaPatch) => {
    const { modelId, ...rest } = QuotaPatchSchema.parse(patch);
    quota.setQuota(rest, modelId);
  };

  const handler = (req: Request, res: Response) => {
    route(req, res).catch((error: unknown) => {
      options.logger?.error({ err: error }, 'bedrock stand-in request failed');
      if (!res.headersSent) sendJson(res, 500, { message: 'internal error' }, 'InternalServerException');
    });
  };

  async function route(req: Request, res: Response): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const body = await readBody(req, maxBodyBytes);
    const method = req.method ?? 'GET';
    const model = /^\/model\/([^/]+)\/(converse|invoke)$/.exec(url.pathname);
    if (model && method === 'POST') {
      if (body === undefined) return sendError(res, validationError('Input is too long for requested model.'));
      const api = model[2] as Api;
      const outcome = await service.handle(api, decodeURIComponent(model[1]!), body, callerOf(req));
      options.logger?.debug({ api, model: model[1], outcome: outcome.type }, 'bedrock stand-in request');
      if (outcome.type === 'ok') return sendJson(res, 200, outcome.body, undefined, outcome.headers);
      if (outcome.type === 'error') return sendError(res, outcome.error);
      return drop(req, res);
    }
    const control = batch.route(method, url, body);
    if (control) {
      if ('error' in control) return sendError(res, control.error);
      return sendJson(res, control.status, control.body);
    }
    if (url.pathname.startsWith('/_standin/')) {
      const answer = admin(method, url.pathname, body);
      return sendJson(res, answer.status, answer.body, answer.errorType);
    }
    const message = `The stand-in does not implement ${method} ${url.pathname}`;
    sendJson(res, 404, { message }, 'UnknownOperationException');
  }

  type AdminAnswer = { status: number; body: unknown; errorType?: string };

  function admin(method: string, path: string, body: Buffer | undefined): AdminAnswer {
    try {
      const input = body?.length ? JSON.parse(body.toString('utf8')) : {};
      const route = `${method} ${path}`;
      switch (route) {
        case 'GET /_standin/stats':
          return { status: 200, body: stats() };
        case 'GET /_standin/health':
          return { status: 200, body: { status: 'ok', analyser: analyser.name } };
        case 'POST /_standin/reset':
          resetStats();
          return { status: 200, body: { reset: true } };
        case 'PUT /_standin/quota':
          setQuota(input);
          return { status: 200, body: stats().quota };
        case 'PUT /_standin/faults':
          faults.set(input);
          return { status: 200, body: faults.current };
        case 'PUT /_standin/batch':
          return { status: 200, body: batch.set(BatchPatchSchema.parse(input)) };
        case 'GET /_standin/batch/jobs':
          return { status: 200, body: batch.all() };
        case 'PUT /_standin/access':
          return { status: 200, body: { denied: access.set(AccessPatchSchema.parse(input)) } };
        case 'GET /_standin/access':
          return { status: 200, body: { denied: access.list() } };
        default:
          return { status: 404, body: { message: `no admin route ${route}` }, errorType: 'UnknownOperationException' };
      }
    } catch (error) {
      const message = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
      return { status: 400, body: { message }, errorType: 'ValidationException' };
    }
  }

  const h2 = http2.createServer({ maxSessionMemory: 64 }, handler);
  const h1 = http.createServer(handler);
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // Peek at the first bytes: HTTP/2 with prior knowledge starts with the connection preface.
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      const n = Math.min(chunk.length, HTTP2_PREFACE.length);
      if (chunk.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) {
        // The HTTP/2 session reads what is buffered itself; resuming here would lose it.
        h2.emit('connection', socket);
      } else {
        h1.emit('connection', socket);
        socket.resume();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      front.off('error', reject);
      resolve();
    });
  });
  const address = front.address() as net.AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    stats,
    resetStats,
    setQuota,
    setFaults: (patch) => faults.set(patch),
    setBatch: (patch) => batch.set(BatchPatchSchema.parse(patch)),
    batchJobs: () => batch.all(),
    setAccess: (patch) => access.set(AccessPatchSchema.parse(patch)),
    close: () => {
      closing ??= (async () => {
        abort.abort();
        const closed = new Promise<void>((resolve) => front.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        await batch.close();
        await analyser.close?.();
      })();
      return closing;
    },
  };
}

/** The body, or undefined when it is larger than `limit` (read to the end anyway, so the answer can be sent). */
async function readBody(req: Request, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

function sendJson(
  res: Response,
  status: number,
  body: unknown,
  errorType?: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  const all: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  };
  // The SDK's REST-JSON protocol picks the exception class from this header first.
  if (errorType) all['x-amzn-errortype'] = errorType;
  // The two response classes share these methods but not a callable union type.
  (res as http.ServerResponse).writeHead(status, all);
  res.end(payload);
}

function sendError(res: Response, error: BedrockError): void {
  sendJson(res, error.status, { message: error.message }, error.errorType);
}

/** Ends the exchange with no answer, as a dropped connection would. */
function drop(req: Request, res: Response): void {
  if ('stream' in res) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

/** The calling SDK's app id (`app/<id>` in its user agent, set by AWS_SDK_UA_APP_ID), when it sent one. */
function callerOf(req: Request): string | undefined {
  const agents = [req.headers['x-amz-user-agent'], req.headers['user-agent']].flat().join(' ');
  return /(?:^|\s)app\/(\S+)/.exec(agents)?.[1];
}
