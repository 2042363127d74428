/**
 * /healthz, /readyz and /metrics of a real `sluice run` on real Kafka and Elasticsearch.
 *
 * Phase 1: records that are indexed, dropped by a filter and rejected by Elasticsearch (a
 * mapping conflict): the counters, the bulk duration histogram, the error types, the
 * committed offsets. Phase 2: Elasticsearch is stopped (the shared local stack's node: this
 * is the only test file that does it, and it keeps the outage short) while records keep
 * coming: retries, connection errors, in-flight events and bytes, paused fetching and
 * consumer lag all show, and /readyz turns 503 naming Elasticsearch. Phase 3: Elasticsearch
 * is started again: /readyz is 200 again, the backlog is indexed, nothing is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startElasticsearch, stopElasticsearch } from '../scripts/stack/index.js';
import { createTopic, es, esCount, groupLag, kafkaClient, services, uniqueName, waitFor } from './helpers/services.js';
import { startSluice, type Running } from './helpers/sluice.js';

const run = uniqueName('metrics');
const topic = `${run}-src`;
const index = `${run}-logs`;
const id = `${run}-p`;
const groupId = `${run}-group`;
let proc: Running;
let base: string;
let esStopped = false;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format → samples (enough for what prom-client writes). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(): Promise<{ samples: Sample[]; text: string }> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { samples: parse(text), text };
}

/** Sum of the series of `name` whose labels include `labels` (this pipeline only). */
function value(samples: Sample[], name: string, labels: Record<string, string | RegExp> = {}): number {
  return samples
    .filter((s) => s.name === name && s.labels.pipeline === id && Object.entries(labels).every(([k, v]) => (typeof v === 'string' ? s.labels[k] === v : v.test(s.labels[k] ?? ''))))
    .reduce((n, s) => n + s.value, 0);
}

async function readyz(): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: await res.json() };
}

async function produce(values: string[]): Promise<void> {
  const producer = kafkaClient().producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ partition: i % 2, value })) });
  await producer.disconnect();
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-metrics-'));
  await es(`/${index}`, { method: 'PUT', body: { settings: { number_of_replicas: 0 }, mappings: { properties: { user: { properties: { name: { type: 'keyword' } } } } } } });
  await createTopic(topic, 2);
  const file = join(dir, 'p.json');
  writeFileSync(
    file,
    JSON.stringify({
      id,
      input: { kafka: { brokers: ['${KAFKA_BROKERS}'], topics: [topic], groupId, codec: 'json' } },
      filters: [{ drop: {}, when: 'level == "debug"' }],
      output: { elasticsearch: { nodes: ['${ES_URL}'], index, batchMaxDocs: 10, batchMaxWaitMs: 20, concurrency: 1, retryInitialMs: 50, retryMaxMs: 500 } },
      limits: { maxInFlightEvents: 20 },
    }),
  );
  proc = startSluice(['run', file, '--http-port', '0'], { KAFKA_BROKERS: services().brokers.join(','), ES_URL: services().esUrl });
  await waitFor('the http listener', () => /http listening on [\d.]+:\d+/.test(proc.output()), 60_000, 100);
  const [, address, port] = /http listening on ([\d.]+):(\d+)/.exec(proc.output())!;
  base = `http://${address}:${port}`;
}, 120_000);

afterAll(async () => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  // Never leave the shared stack without Elasticsearch.
  if (esStopped) await startElasticsearch();
}, 180_000);

describe('health and metrics of sluice run', () => {
  it('/healthz answers while the pipeline starts; /readyz turns ready once connected and assigned', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok\n');
    await waitFor('/readyz 200', async () => (await readyz()).status === 200, 60_000);
    const { body } = await readyz();
    expect(body.status).toBe('ready');
    expect(body.pipelines[id].kafka.state).toBe('joined');
    expect(body.pipelines[id].kafka.assignedPartitions).toBe(2);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('counts records in, events out, drops, dead letters by reason, bulk durations, error types and offsets', async () => {
    const good = Array.from({ length: 40 }, (_, i) => JSON.stringify({ seq: i, user: { name: `u${i}` } }));
    const debug = Array.from({ length: 10 }, (_, i) => JSON.stringify({ seq: 100 + i, level: 'debug' }));
    const conflicting = Array.from({ length: 10 }, (_, i) => JSON.stringify({ seq: 200 + i, user: `alice${i}` }));
    await produce([...good, ...debug, ...conflicting]);
    await waitFor('the first 60 records to settle', async () => (await groupLag(groupId, topic)) === 0, 60_000, 200);
    await waitFor('the stats to show all 60 records', async () => value((await scrape()).samples, 'sluice_records_in_total') === 60, 10_000);
    const { samples, text } = await scrape();
    expect(value(samples, 'sluice_records_in_total')).toBe(60);
    expect(value(samples, 'sluice_events_out_total')).toBe(40);
    expect(value(samples, 'sluice_events_dropped_total')).toBe(10);
    expect(value(samples, 'sluice_dead_letters_total', { reason: 'es_rejected' })).toBe(10);
    expect(value(samples, 'sluice_elasticsearch_errors_total', { type: /^(mapper|document)_parsing_exception$/ })).toBe(10);
    expect(value(samples, 'sluice_bulk_request_duration_seconds_count')).toBeGreaterThan(0);
    expect(value(samples, 'sluice_bulk_request_duration_seconds_count', { outcome: 'item_errors' })).toBeGreaterThan(0);
    expect(value(samples, 'sluice_bulk_request_duration_seconds_sum')).toBeGreaterThan(0);
    expect(value(samples, 'sluice_bulk_request_duration_seconds_bucket', { le: '+Inf' })).toBe(value(samples, 'sluice_bulk_request_duration_seconds_count'));
    expect(value(samples, 'sluice_committed_offset', { topic, partition: '0' })).toBe(30);
    expect(value(samples, 'sluice_committed_offset', { topic, partition: '1' })).toBe(30);
    expect(value(samples, 'sluice_consumer_lag', { topic })).toBe(0);
    expect(value(samples, 'sluice_assigned_partitions')).toBe(2);
    expect(value(samples, 'sluice_ready')).toBe(1);
    expect(value(samples, 'sluice_paused')).toBe(0);
    expect(value(samples, 'sluice_in_flight_events')).toBe(0);
    // Help and type lines, Prometheus naming.
    expect(text).toContain('# TYPE sluice_records_in_total counter');
    expect(text).toContain('# TYPE sluice_bulk_request_duration_seconds histogram');
    expect(text).toContain('# TYPE sluice_in_flight_bytes gauge');
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(await esCount(index)).toBe(40);
  });

  it('while Elasticsearch is down: retries, connection errors, in-flight, paused and lag show, and /readyz is 503', async () => {
    await stopElasticsearch();
    esStopped = true;
    await produce(Array.from({ length: 60 }, (_, i) => JSON.stringify({ seq: 300 + i, user: { name: `v${i}` } })));
    await waitFor('/readyz 503', async () => (await readyz()).status === 503, 60_000, 200);
    const { body } = await readyz();
    expect(body.status).toBe('unready');
    expect(body.pipelines[id].ready).toBe(false);
    expect(body.pipelines[id].elasticsearch.state).toBe('failing');
    expect(body.pipelines[id].reasons.join('\n')).toMatch(/elasticsearch bulk requests failing since \S+: /);
    await waitFor(
      'retries, errors, in-flight, paused and lag in /metrics',
      async () => {
        const { samples } = await scrape();
        return (
          value(samples, 'sluice_retries_total') > 0 &&
          value(samples, 'sluice_elasticsearch_errors_total', { type: /^(ConnectionError|NoLivingConnectionsError|TimeoutError)$/ }) > 0 &&
          value(samples, 'sluice_bulk_request_duration_seconds_count', { outcome: 'failed' }) > 0 &&
          value(samples, 'sluice_in_flight_events') > 0 &&
          value(samples, 'sluice_in_flight_bytes') > 0 &&
          value(samples, 'sluice_paused') === 1 &&
          value(samples, 'sluice_consumer_lag', { topic }) > 0 &&
          value(samples, 'sluice_ready') === 0
        );
      },
      60_000,
      200,
    );
    // Every family the issue lists is non-zero at this moment or was before.
    const { samples } = await scrape();
    for (const name of [
      'sluice_records_in_total',
      'sluice_events_out_total',
      'sluice_events_dropped_total',
      'sluice_dead_letters_total',
      'sluice_retries_total',
      'sluice_bulk_request_duration_seconds_count',
      'sluice_in_flight_events',
      'sluice_in_flight_bytes',
      'sluice_paused',
      'sluice_consumer_lag',
      'sluice_committed_offset',
      'sluice_elasticsearch_errors_total',
    ]) {
      expect(value(samples, name), name).toBeGreaterThan(0);
    }
  });

  it('after Elasticsearch is back: /readyz is 200 again and the backlog is indexed', async () => {
    await startElasticsearch();
    esStopped = false;
    await waitFor('/readyz 200 again', async () => (await readyz()).status === 200, 120_000, 250);
    await waitFor('the backlog to settle', async () => (await groupLag(groupId, topic)) === 0, 120_000, 250);
    await waitFor('all events indexed', async () => value((await scrape()).samples, 'sluice_events_out_total') === 100, 30_000);
    const { samples } = await scrape();
    expect(value(samples, 'sluice_records_in_total')).toBe(120);
    expect(value(samples, 'sluice_in_flight_events')).toBe(0);
    expect(value(samples, 'sluice_paused')).toBe(0);
    expect(value(samples, 'sluice_consumer_lag', { topic })).toBe(0);
    expect(value(samples, 'sluice_dead_letters_total')).toBe(10);
    expect(await esCount(index)).toBe(100);

    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    expect(code, proc.output().slice(-3000)).toBe(0);
  });
});
