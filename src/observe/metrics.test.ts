import { describe, expect, it } from 'vitest';
import type { PipelineStats } from '../runtime/pipeline.js';
import { SluiceMetrics } from './metrics.js';

function setup(stallMs = 60_000) {
  const stats: PipelineStats = { recordsIn: 0, eventsOut: 0, eventsDropped: 0, deadLettered: {}, inFlightRecords: 0, inFlightBytes: 0, paused: false };
  const metrics = new SluiceMetrics({ defaultMetrics: false });
  const m = metrics.pipeline('p', () => stats, { stallMs });
  return { stats, metrics, m };
}

const line = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `));

describe('SluiceMetrics', () => {
  it('mirrors the pipeline stats into counters and gauges at scrape time', async () => {
    const { stats, metrics } = setup();
    Object.assign(stats, { recordsIn: 10, eventsOut: 7, eventsDropped: 1, deadLettered: { es_rejected: 2 }, inFlightRecords: 3, inFlightBytes: 300, paused: true });
    let text = await metrics.render();
    expect(line(text, 'sluice_records_in_total{pipeline="p"}')).toBe('sluice_records_in_total{pipeline="p"} 10');
    expect(line(text, 'sluice_dead_letters_total{pipeline="p",reason="es_rejected"}')).toMatch(/ 2$/);
    expect(line(text, 'sluice_in_flight_bytes{pipeline="p"}')).toMatch(/ 300$/);
    expect(line(text, 'sluice_paused{pipeline="p"}')).toMatch(/ 1$/);
    // Counters only move by the difference: a second scrape does not double them.
    Object.assign(stats, { recordsIn: 12, deadLettered: { es_rejected: 2, decode_failed: 1 }, paused: false });
    text = await metrics.render();
    expect(line(text, 'sluice_records_in_total{pipeline="p"}')).toMatch(/ 12$/);
    expect(line(text, 'sluice_dead_letters_total{pipeline="p",reason="es_rejected"}')).toMatch(/ 2$/);
    expect(line(text, 'sluice_dead_letters_total{pipeline="p",reason="decode_failed"}')).toMatch(/ 1$/);
    expect(line(text, 'sluice_paused{pipeline="p"}')).toMatch(/ 0$/);
  });

  it('computes lag from the high watermark and the committed offset, and forgets revoked partitions', async () => {
    const { metrics, m } = setup();
    m.kafkaAssigned({ t: [0, 1] });
    m.kafkaFetched('t', 0, '100', '40');
    expect(m.readiness().kafka.lag).toBe(60); // before any commit: from where fetching started
    m.kafkaCommitted([{ topic: 't', partition: 0, offset: '90' }]);
    let text = await metrics.render();
    expect(line(text, 'sluice_consumer_lag{pipeline="p",topic="t",partition="0"}')).toMatch(/ 10$/);
    expect(line(text, 'sluice_committed_offset{pipeline="p",topic="t",partition="0"}')).toMatch(/ 90$/);
    m.kafkaAssigned({ t: [1] });
    text = await metrics.render();
    expect(line(text, 'sluice_consumer_lag{pipeline="p",topic="t",partition="0"}')).toBeUndefined();
    expect(line(text, 'sluice_assigned_partitions{pipeline="p"}')).toMatch(/ 1$/);
  });

  it('is ready when started, joined and Elasticsearch answers; says why not otherwise', () => {
    const { metrics, m } = setup(1000);
    expect(metrics.readiness().ready).toBe(false);
    expect(m.readiness().reasons[0]).toMatch(/starting/);
    m.markStarted();
    m.kafkaState('connected');
    expect(m.readiness().reasons).toEqual(['kafka consumer has not joined its group (connected)']);
    m.kafkaAssigned({ t: [0] });
    expect(m.readiness()).toMatchObject({ ready: true, reasons: [] });
    m.kafkaState('connected'); // a reconnect does not undo the join
    expect(m.readiness().ready).toBe(true);

    m.bulkRequest(0.01, 'failed', 'connect ECONNREFUSED 127.0.0.1:9200');
    expect(m.readiness().reasons[0]).toMatch(/^elasticsearch bulk requests failing since \S+: connect ECONNREFUSED/);
    expect(metrics.readiness().ready).toBe(false);
    m.bulkRequest(0.01, 'item_errors');
    expect(m.readiness().ready).toBe(true);

    m.kafkaState('rebalancing');
    expect(m.readiness().reasons).toEqual(['consumer group is rebalancing']);
    m.kafkaAssigned({ t: [0] });
    m.kafkaState('crashed', 'broker went away');
    expect(m.readiness().reasons[0]).toContain('broker went away');
    m.kafkaAssigned({ t: [0] });

    // Lag and no progress for longer than the stall limit.
    m.kafkaFetched('t', 0, '50', '0');
    m.kafkaCommitted([{ topic: 't', partition: 0, offset: '10' }]);
    expect(m.readiness(Date.now() + 500).ready).toBe(true);
    expect(m.readiness(Date.now() + 5000).reasons[0]).toMatch(/^no progress for \d+ s with 40 record\(s\) of lag$/);
    // Idle with no lag is ready however long nothing happens.
    m.kafkaCommitted([{ topic: 't', partition: 0, offset: '50' }]);
    expect(m.readiness(Date.now() + 3_600_000).ready).toBe(true);

    m.markStopping();
    expect(m.readiness().reasons).toEqual(['pipeline is stopping']);
  });

  it('counts component reports', async () => {
    const { metrics, m } = setup();
    m.retried(5);
    m.elasticsearchError('es_rejected_execution_exception');
    m.deadLetterSendFailed();
    m.bulkRequest(0.2, 'ok');
    const text = await metrics.render();
    expect(line(text, 'sluice_retries_total{pipeline="p"}')).toMatch(/ 5$/);
    expect(line(text, 'sluice_elasticsearch_errors_total{pipeline="p",type="es_rejected_execution_exception"}')).toMatch(/ 1$/);
    expect(line(text, 'sluice_dead_letter_errors_total{pipeline="p"}')).toMatch(/ 1$/);
    expect(line(text, 'sluice_bulk_request_duration_seconds_bucket{le="0.25",pipeline="p",outcome="ok"}')).toMatch(/ 1$/);
  });
});
