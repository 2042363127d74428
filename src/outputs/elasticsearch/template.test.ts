/**
 * The managed index template, against the real server the tests run on (Elasticsearch 7.17,
 * 8.x, 9.x or OpenSearch):
 * - pipelines/web-access.json run by the real CLI on records from Kafka's console producer
 *   gives `source.ip` as `ip`, `source.geo.location` as `geo_point`,
 *   `http.response.status_code` as `long`, and a geo-distance query finds the documents;
 * - a differing template already installed is left alone with a warning naming the
 *   differences, and replaced with `overwrite`;
 * - shards, replicas, refresh interval and the user's own mappings end up in the template.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { consoleProduce } from '../../../scripts/stack/index.js';
import { createTopic, es, esCount, groupLag, services, uniqueName, waitFor } from '../../../test/helpers/services.js';
import { ROOT, startSluice, type Running } from '../../../test/helpers/sluice.js';
import { EsConnection } from './client.js';
import { buildTemplate, installTemplate, mergeJson, templateTarget, type IndexTemplateConfig } from './template.js';

const run = uniqueName('tmpl');
const lines = readFileSync(join(ROOT, 'samples', 'web-access.log'), 'utf8').split('\n').filter(Boolean).slice(0, 400);
let proc: Running | undefined;

afterAll(async () => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  await es(`/${run}-*`, { method: 'DELETE' }).catch(() => {});
  await es(`/_index_template/sluice-${run}*`, { method: 'DELETE' }).catch(() => {});
});

/** A logger that keeps what it was told. */
function captureLogger() {
  const lines: { level: number; msg: string; differences?: string[] }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe('index template (unit)', () => {
  it('derives the pattern and name from the index setting', () => {
    expect(templateTarget('web-access-%{+yyyy.MM.dd}', {})).toEqual({ pattern: 'web-access-*', prefix: 'web-access-', name: 'sluice-web-access' });
    expect(templateTarget('logs', {})).toEqual({ pattern: 'logs', prefix: 'logs', name: 'sluice-logs' });
    expect(templateTarget('%{service}-%{+yyyy}', {})).toBeUndefined();
    expect(templateTarget('%{service}-%{+yyyy}', { pattern: 'svc-*', name: 'mine' })).toEqual({ pattern: 'svc-*', prefix: 'svc-', name: 'mine' });
  });
  it('merges user mappings on top: objects key by key, dynamic templates by name and first', () => {
    const merged = mergeJson(
      { dynamic_templates: [{ a: { mapping: { type: 'ip' } } }, { b: { mapping: { type: 'keyword' } } }], properties: { x: { type: 'long' }, y: { type: 'ip' } } },
      { dynamic_templates: [{ b: { mapping: { type: 'text' } } }], properties: { x: { type: 'double' } } },
    );
    expect(merged).toEqual({ dynamic_templates: [{ b: { mapping: { type: 'text' } } }, { a: { mapping: { type: 'ip' } } }], properties: { x: { type: 'double' }, y: { type: 'ip' } } });
  });
  it('puts shards, replicas, refresh interval and the lifecycle policy of the engine into the settings', () => {
    const config: IndexTemplateConfig = { manage: true, overwrite: false, ecs: true, shards: 2, replicas: 0, refreshInterval: '5s', lifecycle: 'logs-30d' };
    const es8 = buildTemplate({ index: 'a-%{+yyyy}', dataStream: false, config, baseDir: ROOT }, { distribution: 'elasticsearch', version: '8.19.2', major: 8 })!;
    expect(es8.body.template.settings).toEqual({ 'index.number_of_shards': 2, 'index.number_of_replicas': 0, 'index.refresh_interval': '5s', 'index.lifecycle.name': 'logs-30d' });
    expect((es8.body.template.mappings.properties as any).message).toEqual({ type: 'match_only_text' });
    const os = buildTemplate({ index: 'a-%{+yyyy}', dataStream: true, config, baseDir: ROOT }, { distribution: 'opensearch', version: '2.19.6', major: 2 })!;
    expect(os.body.template.settings['plugins.index_state_management.policy_id']).toBe('logs-30d');
    expect(os.body.data_stream).toEqual({});
    const es7old = buildTemplate({ index: 'a-%{+yyyy}', dataStream: false, config, baseDir: ROOT }, { distribution: 'elasticsearch', version: '7.10.2', major: 7 })!;
    expect((es7old.body.template.mappings.properties as any).message).toEqual({ type: 'text' });
  });
});

describe('index template on the real server', () => {
  it('pipelines/web-access.json gives ECS types: ip, geo_point, a numeric status code, and geo-distance queries work', async () => {
    const topic = `${run}-web`;
    await createTopic(topic, 2);
    const produced = await consoleProduce(services().brokers, topic, lines);
    expect(produced.code).toBe(0);
    const env = {
      KAFKA_BROKERS: services().brokers.join(','),
      ES_URL: services().esUrl,
      WEB_ACCESS_TOPIC: topic,
      WEB_ACCESS_GROUP_ID: `${run}-group`,
      WEB_ACCESS_INDEX_PREFIX: `${run}-web`,
      WEB_ACCESS_DLQ_TOPIC: `${run}-web.dlq`,
    };
    // The shipped pipeline as it is, except a filter time limit that a machine shared with
    // other test runs cannot exceed (a timeout would dead-letter a line: not what this tests).
    const pipeline = JSON.parse(readFileSync(join(ROOT, 'pipelines', 'web-access.json'), 'utf8'));
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-tmpl-')), 'web-access.json');
    writeFileSync(file, JSON.stringify({ ...pipeline, $schema: undefined, limits: { ...pipeline.limits, filterTimeoutMs: 10_000 } }));
    proc = startSluice(['run', file], env);
    await waitFor('sluice to index every line', async () => (await groupLag(`${run}-group`, topic)) === 0, 120_000, 250);
    proc.child.kill('SIGTERM');
    expect((await proc.exited).code, proc.output().slice(-2000)).toBe(0);
    expect(await esCount(`${run}-web-*`)).toBe(lines.length);

    const mapping = await es(`/${run}-web-*/_mapping`);
    const props = (Object.values(mapping)[0] as any).mappings.properties;
    expect(props.source.properties.ip.type).toBe('ip');
    expect(props.source.properties.geo.properties.location.type).toBe('geo_point');
    expect(['long', 'integer', 'short']).toContain(props.http.properties.response.properties.status_code.type);
    expect(props['@timestamp'].type).toBe('date');
    expect(['match_only_text', 'text']).toContain(props.message.type);
    expect(props.url.properties.original.type).toBe('keyword');

    // A geo-distance query around one document's location finds it (and Kibana maps can use the field).
    const one = await es(`/${run}-web-*/_search`, { method: 'POST', body: { size: 1, query: { exists: { field: 'source.geo.location' } } } });
    const location = one.hits.hits[0]._source.source.geo.location;
    const near = await es(`/${run}-web-*/_search`, {
      method: 'POST',
      body: { size: 0, track_total_hits: true, query: { geo_distance: { distance: '10km', 'source.geo.location': location } } },
    });
    expect(near.hits.total.value).toBeGreaterThan(0);
    // And a CIDR query on the ip field.
    const ip = one.hits.hits[0]._source.source.ip as string;
    const cidr = await es(`/${run}-web-*/_count`, { method: 'POST', body: { query: { term: { 'source.ip': `${ip.split('.').slice(0, 2).join('.')}.0.0/16` } } } });
    expect(cidr.count).toBeGreaterThan(0);
  }, 240_000);

  it('leaves a differing installed template alone with a warning that says what differs, and replaces it with overwrite', async () => {
    const conn = new EsConnection({ nodes: [services().esUrl] });
    const info = await conn.probe();
    const index = `${run}-own-%{+yyyy.MM.dd}`;
    const name = templateTarget(index, {})!.name;
    await es(`/_index_template/${name}`, {
      method: 'PUT',
      body: { index_patterns: [`${run}-own-*`], priority: 5, template: { mappings: { properties: { source: { properties: { ip: { type: 'keyword' } } } } } } },
    });
    const base = { manage: true, overwrite: false, ecs: true, replicas: 0, refreshInterval: '2s', mappings: { properties: { trace: { properties: { id: { type: 'keyword' } } } } } };
    const { logger, lines: logged } = captureLogger();
    expect(await installTemplate(conn, info, { index, dataStream: false, config: base, baseDir: ROOT }, logger)).toBe('left-alone');
    const warning = logged.find((l) => /exists and differs/.test(l.msg));
    expect(warning?.msg).toContain('mappings.properties.source.properties.ip.type: installed "keyword", sluice\'s "ip"');
    expect(warning?.msg).toContain('priority');
    expect((await es(`/_index_template/${name}`)).index_templates[0].index_template.priority).toBe(5);

    expect(await installTemplate(conn, info, { index, dataStream: false, config: { ...base, overwrite: true }, baseDir: ROOT }, logger)).toBe('overwritten');
    const installed = (await es(`/_index_template/${name}`)).index_templates[0].index_template;
    expect(installed.template.settings.index).toMatchObject({ number_of_replicas: '0', refresh_interval: '2s' });
    expect(installed.template.mappings.properties.trace.properties.id.type).toBe('keyword');
    expect(installed.template.mappings.properties.source.properties.ip.type).toBe('ip');
    // Installed as wanted: the next start finds nothing to change.
    expect(await installTemplate(conn, info, { index, dataStream: false, config: base, baseDir: ROOT }, logger)).toBe('unchanged');
  });
});
