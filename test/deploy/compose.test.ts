/**
 * docker-compose.yml cannot run here (no Docker engine), so it is validated statically with
 * a real tool (Debian's docker-compose, installed by the project's script when missing), and
 * every variable it gives sluice must be one sluice reads.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/sluice.js';
import { variablesSluiceReads } from '../helpers/env-usage.js';

let config: any;

/** docker-compose 1.x prints volumes in the short form `source:target[:mode]`. */
function mounts(service: any): { source: string; target: string; readOnly: boolean }[] {
  return (service.volumes ?? []).map((v: any) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: Boolean(v.read_only) };
    const [source, target, mode] = v.split(':');
    return { source, target, readOnly: mode === 'ro' };
  });
}

beforeAll(() => {
  execFileSync(join(ROOT, 'scripts', 'ensure-debian-packages.sh'), ['docker-compose:docker-compose'], { stdio: 'inherit' });
  const r = spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker-compose config failed: ${r.stderr}`);
  config = parse(r.stdout);
}, 300_000);

describe('docker-compose.yml', () => {
  it('passes docker-compose config -q', () => {
    const r = spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs Kafka in KRaft mode with a container listener and a host listener, data on a volume', () => {
    const kafka = config.services.kafka;
    expect(kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafka.environment.KAFKA_ADVERTISED_LISTENERS).toMatch(/INTERNAL:\/\/kafka:19092/);
    expect(kafka.environment.KAFKA_ADVERTISED_LISTENERS).toMatch(/EXTERNAL:\/\/localhost:9092/);
    expect(mounts(kafka).some((v) => v.source === 'kafka-data' && v.target === kafka.environment.KAFKA_LOG_DIRS)).toBe(true);
    expect(mounts(config.services.elasticsearch).some((v) => v.source === 'es-data')).toBe(true);
    expect(config.services.kibana).toBeDefined();
  });

  it('runs sluice on the mounted pipelines with the container addresses', () => {
    const sluice = config.services.sluice;
    expect(sluice.command).toEqual(['run', '/etc/sluice/pipelines']);
    expect(mounts(sluice).some((v) => v.target === '/etc/sluice/pipelines' && v.readOnly)).toBe(true);
    expect(sluice.environment.KAFKA_BROKERS).toBe('kafka:19092');
    expect(sluice.environment.ES_URL).toBe('http://elasticsearch:9200');
  });

  it('sets only environment variables that sluice reads', () => {
    const reads = variablesSluiceReads();
    const set = Object.keys(config.services.sluice.environment ?? {});
    expect(set.length).toBeGreaterThan(0);
    expect(set.filter((v) => !reads.has(v))).toEqual([]);
  });
});
