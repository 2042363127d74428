/**
 * Bulk indexing. Events are serialised into NDJSON as they arrive and batched by count,
 * bytes and wait time; at most `concurrency` bulk requests run at once (p-queue). Each item
 * of a response is handled on its own: indexed items settle, retryable ones are sent again
 * (only them) after an exponential backoff with full jitter, rejected ones are reported as
 * dead letters with Elasticsearch's error.
 */
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { DeliveryResult, Output, OutputEvent } from '../../core/component.js';
import { compileTemplate, type Template } from '../../core/template.js';
import { backoffMs, classifyItem, isRetryableRequestError, type BulkResponse } from './bulk.js';
import { BulkRequestError, type BulkHttp } from './bulk-http.js';
import { describeCluster, EsConnection } from './client.js';
import { untilAvailable } from '../../core/waiting.js';
import type { ElasticsearchOutputConfig } from './index.js';
import { installTemplate, type TemplateOptions } from './template.js';
import { DataStreamNaming, dataStreamIndex, dataStreamPattern } from './data-stream.js';
import { noopMetrics, type ComponentMetrics } from '../../observe/observer.js';

interface Item {
  /**
   * Its action and document lines (UTF-8, newline-terminated) are `buf[start, end)`: the
   * batch's body, one Buffer per batch. A Buffer lives outside the V8 heap, so the NDJSON of
   * thousands of documents waiting for Elasticsearch is neither copied by every young-generation
   * collection nor marked by the old-generation ones (measured: see docs/performance.md).
   */
  buf: Buffer;
  start: number;
  end: number;
  index: string;
  attempts: number;
  done: (r: DeliveryResult) => void;
}

/**
 * Only what settling needs from a bulk response: `errors`, and per item its status and error.
 * The rest (`_index`, `_id`, `_version`, `_shards`, `_seq_no`, …) is ~170 of ~200 bytes per
 * item, which would otherwise be read and parsed for nothing (measured: see docs/performance.md).
 */
const BULK_PATH = '/_bulk?filter_path=errors,items.*.status,items.*.error';
/** First capacity of a batch body; later batches start at the size the last one reached. */
const MIN_BODY_BYTES = 64 * 1024;


export class ElasticsearchOutput implements Output {
  private client: BulkHttp | undefined;
  private readonly queue: PQueue;
  private batch: Item[] = [];
  private batchBytes = 0;
  /** The body being filled for `batch` (bytes [0, batchBytes) written). */
  private body: Buffer | undefined;
  private bodyCapacity = MIN_BODY_BYTES;
  /** Bodies of finished batches, ready to be filled again (see takeBody). */
  private freeBodies: Buffer[] = [];
  /** JSON of the last index name written: consecutive events mostly share it. */
  private lastIndex = '';
  private lastIndexJson = '""';
  private timer: NodeJS.Timeout | undefined;
  /** The current partial batch has waited long enough and goes out as soon as a request slot frees. */
  private sendWhenFree = false;
  private readonly index: Template;
  private readonly dataStream: DataStreamNaming | undefined;
  private readonly opType: 'index' | 'create';
  private readonly documentId: Template | undefined;
  private readonly routing: Template | undefined;
  private readonly ingestPipeline: Template | undefined;
  /** Node URLs, credentials and TLS: the same for the probe and the bulk client. */
  private readonly connection: EsConnection;
  private outstanding = 0;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly config: ElasticsearchOutputConfig,
    private readonly logger: Logger,
    private readonly metrics: ComponentMetrics = noopMetrics,
    private readonly baseDir = process.cwd(),
    /** For the `sluice doctor` hint of the start-up wait. */
    private readonly pipelineFile?: string,
  ) {
    this.queue = new PQueue({ concurrency: config.concurrency });
    this.dataStream = config.dataStream ? new DataStreamNaming(config.dataStream) : undefined;
    // Data streams take only `create`; with our default ids a 409 then means "already indexed".
    this.opType = config.dataStream ? 'create' : config.opType;
    this.index = compileTemplate(config.dataStream ? dataStreamIndex(config.dataStream) : config.index);
    this.documentId = config.documentId ? compileTemplate(config.documentId) : undefined;
    this.routing = config.routing ? compileTemplate(config.routing) : undefined;
    this.ingestPipeline = config.ingestPipeline ? compileTemplate(config.ingestPipeline) : undefined;
    this.connection = new EsConnection(config);
  }

  async start(signal?: AbortSignal): Promise<void> {
    // At 3 a.m. the output waits for Elasticsearch, it does not crash (src/core/waiting.ts).
    const origin = new URL(this.connection.nodes[0]).origin;
    const info = await untilAvailable(() => this.connection.probe(undefined, this.config.distribution), {
      logger: this.logger,
      signal,
      metrics: this.metrics,
      dependency: 'elasticsearch',
      pipelineFile: this.pipelineFile,
      explain: (err) => ({
        what: `Elasticsearch ${origin}`,
        cause: `not reachable (${(err as Error).message.replace(`Elasticsearch ${origin}: `, '')})`,
        fix: 'start Elasticsearch, or correct output.elasticsearch.nodes (host, port, scheme)',
      }),
    });
    this.client = this.connection.bulkSender(this.config.requestTimeoutMs, this.config.concurrency);
    if (info.assumed) this.logger.warn(`GET / is forbidden to this user (no "monitor" privilege): assuming ${info.distribution === 'opensearch' ? 'OpenSearch 2.x' : 'Elasticsearch 8.x'} or later`);
    this.logger.info({ distribution: info.distribution, version: info.version, auth: this.connection.describeAuth() }, `connected to ${describeCluster(info)}`);
    await installTemplate(this.connection, info, this.templateOptions(), this.logger);
  }

  /** What the managed index template is made for. */
  templateOptions(): TemplateOptions {
    const ds = this.config.dataStream;
    const config = { manage: true, overwrite: false, ecs: true, ...this.config.template };
    if (ds && config.pattern === undefined) config.pattern = dataStreamPattern(ds);
    return { index: ds ? dataStreamIndex(ds) : this.config.index, dataStream: ds !== undefined, config, baseDir: this.baseDir };
  }

  write(item: OutputEvent): void {
    const { event } = item;
    let index: string;
    if (this.dataStream) {
      const named = this.dataStream.apply(event);
      if ('error' in named) {
        item.done({ ok: false, reason: 'es_rejected', error: named.error });
        return;
      }
      index = named.name;
    } else index = this.index.render(event);
    if (index !== this.lastIndex) {
      this.lastIndex = index;
      this.lastIndexJson = JSON.stringify(index);
    }
    let action = `{"${this.opType}":{"_index":${this.lastIndexJson}`;
    if (!this.config.autoId) action += `,"_id":${JSON.stringify(this.documentId ? this.documentId.render(event) : item.defaultId)}`;
    // A template that renders empty means "none for this event" (as in Logstash), not an
    // empty routing key or pipeline name, which Elasticsearch would reject.
    const routing = this.routing?.render(event);
    if (routing) action += `,"routing":${JSON.stringify(routing)}`;
    const pipeline = this.ingestPipeline?.render(event);
    if (pipeline) action += `,"pipeline":${JSON.stringify(pipeline)}`;
    // The event is the output's from here on (the runtime never reads it again): @metadata is
    // left out by setting it to undefined, which JSON.stringify skips, instead of copying the
    // whole event without it or deleting the key (which would change the object's shape).
    if (event['@metadata'] !== undefined) event['@metadata'] = undefined;
    let source: string;
    try {
      source = JSON.stringify(event);
    } catch (err) {
      item.done({ ok: false, reason: 'encode_failed', error: `event cannot be serialised: ${(err as Error).message}` });
      return;
    }
    action += '}}\n';
    // Action and source are written one after the other, not joined first: joining makes a
    // string that Buffer#write copies flat before encoding, a second copy of every document.
    const length = action.length + source.length + 1;
    // A full batch goes before this document; one document larger than a batch goes alone.
    const room = this.config.batchMaxBytes - this.batchBytes;
    if (this.batch.length > 0 && length * 3 > room && Buffer.byteLength(action) + Buffer.byteLength(source) + 1 > room) this.sendBatch();
    // At most 3 UTF-8 bytes per UTF-16 unit (JSON.stringify never leaves a lone surrogate).
    this.reserve(length * 3);
    const body = this.body!;
    const start = this.batchBytes;
    let end = start + body.write(action, start);
    end += body.write(source, end);
    body[end++] = 0x0a;
    this.outstanding++;
    // Only `done` is kept, not the item: the event can die young once serialised (runtime/pipeline.ts,
    // deliver). The index name is the one string shared by the documents of an index in a row.
    this.batch.push({ buf: body, start, end, index: this.lastIndex, attempts: 0, done: item.done });
    this.batchBytes = end;
    if (this.batch.length >= this.config.batchMaxDocs || this.batchBytes >= this.config.batchMaxBytes) this.sendBatch();
    else if (!this.timer && !this.sendWhenFree) this.timer = setTimeout(() => this.onBatchTimer(), this.config.batchMaxWaitMs);
  }

  /** Room for `bytes` more in the body being filled (a larger Buffer, the items moved over, when needed). */
  private reserve(bytes: number): void {
    const needed = this.batchBytes + bytes;
    if (this.body && needed <= this.body.length) return;
    const body = this.takeBody(Math.max(needed, this.bodyCapacity));
    if (this.body) {
      this.body.copy(body, 0, 0, this.batchBytes);
      for (const it of this.batch) it.buf = body;
      this.recycleBody(this.body);
    }
    this.body = body;
  }

  /**
   * A body Buffer of at least `bytes`: a recycled one, or a new one (a power of two). Bodies are
   * recycled once their batch is done (deliver), because a Buffer whose object was promoted to
   * V8's old generation is only freed by the next full collection: left to the GC, bodies waiting
   * for it made ~50 MiB of the peak RSS end to end (docs/performance.md).
   */
  private takeBody(bytes: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.freeBodies.length; i++) {
      const len = this.freeBodies[i].length;
      if (len >= bytes && (best < 0 || len < this.freeBodies[best].length)) best = i;
    }
    if (best >= 0) return this.freeBodies.splice(best, 1)[0];
    let capacity = MIN_BODY_BYTES;
    while (capacity < bytes) capacity *= 2;
    return Buffer.allocUnsafeSlow(capacity);
  }

  /** Keeps a body no item refers to any more for the next batches (a few, the largest). */
  private recycleBody(body: Buffer): void {
    this.freeBodies.push(body);
    if (this.freeBodies.length > this.config.concurrency + 1) {
      this.freeBodies.sort((a, b) => b.length - a.length);
      this.freeBodies.length = this.config.concurrency + 1;
    }
  }

  /**
   * The wait is over for a partial batch. It goes out now if a request slot is free; if all
   * `concurrency` requests are busy, it keeps filling and goes out when one finishes (or when
   * full). So a short wait bounds latency at low rates, yet a saturated Elasticsearch still
   * gets full batches instead of a queue of small ones.
   */
  private onBatchTimer(): void {
    this.timer = undefined;
    if (this.queue.pending + this.queue.size >= this.config.concurrency) this.sendWhenFree = true;
    else this.sendBatch();
  }

  private settle(it: Item, result: DeliveryResult): void {
    it.done(result);
    if (--this.outstanding === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private sendBatch(): void {
    this.sendWhenFree = false;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.batch.length === 0) return;
    const items = this.batch;
    const body = this.body!;
    // The next body starts a quarter larger than this one ended (batches are alike), so it
    // mostly never has to grow; never larger than a full batch needs.
    this.bodyCapacity = Math.min(Math.ceil(this.batchBytes * 1.25), this.config.batchMaxBytes + 64 * 1024);
    this.batch = [];
    this.batchBytes = 0;
    this.body = undefined;
    // The task must not hold the batch once it has run: p-queue (9.x) keeps up to 100 run
    // tasks in its queue array before compacting it, which kept ~100 finished batches (their
    // documents, NDJSON and callbacks) alive: over 1 GiB of RSS at full speed.
    let pending: Item[] | undefined = items;
    void this.queue.add(() => {
      const batch = pending!;
      pending = undefined;
      return this.deliver(batch).finally(() => {
        // Every item is settled (or the output stopped, and nothing is sent any more): no
        // request refers to the body now.
        if (!this.stopping) this.recycleBody(body);
        // A slot frees: a partial batch that waited for one goes now.
        if (this.sendWhenFree) this.sendBatch();
      });
    });
  }

  /** Sends items until each is indexed or rejected; retries only what failed. */
  private async deliver(initial: Item[]): Promise<void> {
    let items = initial;
    for (let round = 0; items.length > 0; round++) {
      if (round > 0) await this.backoff(backoffMs(round - 1, this.config.retryInitialMs, this.config.retryMaxMs));
      // Stopped (after the shutdown timeout): what is not indexed stays unsettled, so its
      // records stay uncommitted and are read again; retrying on would keep the process alive.
      if (this.stopping) return;
      items = await this.attempt(items);
      items = items.filter((it) => {
        it.attempts++;
        if (this.config.maxRetries !== undefined && it.attempts > this.config.maxRetries) {
          this.settle(it, { ok: false, reason: 'retries_exhausted', error: `not indexed after ${it.attempts} attempts`, extra: { 'es.index': it.index } });
          return false;
        }
        return true;
      });
      if (items.length) {
        this.metrics.retried(items.length);
        this.logger.warn({ retrying: items.length, round: round + 1 }, 'bulk items will be retried');
      }
    }
  }

  /** One bulk request; returns the items to retry. */
  private async attempt(items: Item[]): Promise<Item[]> {
    const body = bodyOf(items);
    let response: BulkResponse;
    const started = performance.now();
    try {
      response = (await this.client!.send(BULK_PATH, body)) as BulkResponse;
      // One result per document, in order, or the answer is not a bulk answer (a proxy's JSON):
      // resent like a failed request (the output's ids make that idempotent).
      if (!Array.isArray(response?.items) || response.items.length !== items.length) {
        throw new BulkRequestError('ConnectionError', `the answer to POST /_bulk held ${Array.isArray(response?.items) ? response.items.length : 'no'} results for ${items.length} documents`);
      }
      this.metrics.bulkRequest((performance.now() - started) / 1000, response.errors ? 'item_errors' : 'ok');
    } catch (err) {
      const e = err as { name?: string; message?: string; meta?: { statusCode?: number } };
      this.metrics.bulkRequest((performance.now() - started) / 1000, 'failed', e.message);
      this.metrics.elasticsearchError(e.name === 'ResponseError' && e.meta?.statusCode ? `http_${e.meta.statusCode}` : (e.name ?? 'Error'));
      if (isRetryableRequestError(err)) {
        this.logger.warn({ err: (err as Error).message, items: items.length }, 'bulk request failed; retrying');
        return items;
      }
      const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
      if (status === 413 && items.length > 1) {
        // Too large for the server's http.max_content_length: halve and try again.
        const half = Math.ceil(items.length / 2);
        return [...(await this.attempt(items.slice(0, half))), ...(await this.attempt(items.slice(half)))];
      }
      const reason = status === 413 ? 'too_large' : 'es_rejected';
      for (const it of items) {
        this.settle(it, { ok: false, reason, error: `bulk request rejected: ${(err as Error).message}`, extra: { 'es.status': String(status ?? ''), 'es.index': it.index } });
      }
      return [];
    }
    return this.handleItems(items, response);
  }

  /** Settles each item by its result in a bulk response; returns the items to retry. */
  private handleItems(items: Item[], response: BulkResponse): Item[] {
    const retry: Item[] = [];
    // One result per item, in order (attempt checked it).
    if (response.errors === false) {
      // Every item succeeded: nothing to look at per item.
      for (const it of items) this.settle(it, INDEXED);
      return retry;
    }
    response.items.forEach((entry, i) => {
      const it = items[i];
      const result = Object.values(entry)[0];
      switch (classifyItem(result.status, this.opType)) {
        case 'indexed':
          this.settle(it, INDEXED);
          break;
        case 'retry':
          this.metrics.elasticsearchError(result.error?.type ?? `status_${result.status}`);
          retry.push(it);
          break;
        case 'rejected': {
          const type = result.error?.type ?? 'unknown';
          this.metrics.elasticsearchError(type);
          const cause = result.error?.caused_by ? ` (caused by ${result.error.caused_by.type}: ${result.error.caused_by.reason})` : '';
          this.settle(it, {
            ok: false,
            reason: 'es_rejected',
            error: `${type}: ${result.error?.reason ?? 'rejected'}${cause}`,
            extra: { 'es.status': String(result.status), 'es.type': type, 'es.index': it.index },
          });
        }
      }
    });
    return retry;
  }

  async flush(): Promise<void> {
    this.sendBatch();
    if (this.outstanding === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** A retry backoff that ends at once when the output stops. */
  private backoff(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of [...this.sleepers]) wake();
    this.client?.close();
  }
}

const INDEXED: DeliveryResult = Object.freeze({ ok: true });

/** The bulk body of `items`: a view of their batch's Buffer when they are all of it, in order; else a copy of their lines. */
function bodyOf(items: Item[]): Buffer {
  const first = items[0];
  let contiguous = true;
  for (let i = 1; i < items.length && contiguous; i++) contiguous = items[i].buf === first.buf && items[i].start === items[i - 1].end;
  if (contiguous) return first.buf.subarray(first.start, items[items.length - 1].end);
  return Buffer.concat(items.map((it) => it.buf.subarray(it.start, it.end)));
}
