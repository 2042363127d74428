/**
 * docker-compose.yml cannot run here (no Docker engine), so it is validated statically with
 * a real tool (Debian's docker-compose, installed by the project's script when missing), and
 * checked against what sluice and the image actually read and provide: every variable it
 * gives sluice is one sluice reads, every variable the mounted pipelines need is set, the
 * topic the producer fills is the one the pipeline consumes, and the health check, user and
 * stop grace period fit the image. (test/deploy/image.test.ts runs the image's entrypoint with
 * this file's environment.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipeline } from '../../src/config/load.js';
import { components } from '../../src/registry.js';
import { variablesSluiceReads } from '../helpers/env-usage.js';
import {
  COMPOSE_FILE,
  composeConfig,
  dockerCompose,
  durationMs,
  ensureDebianPackages,
  finalStage,
  mounts,
  parseDockerfile,
  pipelineVariables,
  publishedPorts,
  ROOT,
  variablesImageReads,
} from './helpers.js';

let config: any;

beforeAll(() => {
  ensureDebianPackages('docker-compose:docker-compose');
  config = composeConfig(COMPOSE_FILE);
}, 300_000);

/** The pipeline files the sluice service mounts into /etc/sluice/pipelines. */
function mountedPipelines(): string[] {
  const m = mounts(config.services.sluice).find((v) => v.target === '/etc/sluice/pipelines')!;
  return readdirSync(m.source)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.test.json'))
    .map((f) => join(m.source, f));
}

/** The pipelines as sluice loads them with the sluice service's environment. */
function loadedPipelines() {
  const env = { ...config.services.sluice.environment };
  return mountedPipelines().map((f) => loadPipeline(f, components, env));
}

function shutdownTimeoutMs(service: any): number {
  return Number(service.environment?.SLUICE_SHUTDOWN_TIMEOUT_MS ?? 30_000);
}

describe('docker-compose.yml', () => {
  it('passes docker-compose config -q', () => {
    const r = dockerCompose(COMPOSE_FILE, ['config', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs Kafka in KRaft mode with a container listener and a host listener, data on a volume', () => {
    const kafka = config.services.kafka;
    expect(kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafka.environment.KAFKA_ADVERTISED_LISTENERS).toMatch(/INTERNAL:\/\/kafka:19092/);
    expect(kafka.environment.KAFKA_ADVERTISED_LISTENERS).toMatch(/EXTERNAL:\/\/localhost:9092/);
    expect(kafka.environment.KAFKA_INTER_BROKER_LISTENER_NAME).toBe('INTERNAL');
    expect(publishedPorts(kafka)).toContain(9092);
    expect(mounts(kafka).some((v) => v.source === 'kafka-data' && v.target === kafka.environment.KAFKA_LOG_DIRS)).toBe(true);
    expect(mounts(config.services.elasticsearch).some((v) => v.source === 'es-data')).toBe(true);
    expect(config.volumes).toHaveProperty('kafka-data');
    expect(config.volumes).toHaveProperty('es-data');
    expect(config.services.kibana).toBeDefined();
  });

  it('advertises a host name of your choice to clients on other machines (KAFKA_EXTERNAL_HOST)', () => {
    const c = composeConfig(COMPOSE_FILE, { KAFKA_EXTERNAL_HOST: 'logs-1.example.com' });
    expect(c.services.kafka.environment.KAFKA_ADVERTISED_LISTENERS).toBe('INTERNAL://kafka:19092,EXTERNAL://logs-1.example.com:9092');
  });

  it('runs sluice on the mounted pipelines with the container addresses', () => {
    const sluice = config.services.sluice;
    expect(sluice.command).toEqual(['run', '/etc/sluice/pipelines']);
    expect(mounts(sluice).some((v) => v.target === '/etc/sluice/pipelines' && v.readOnly)).toBe(true);
    expect(sluice.environment.KAFKA_BROKERS).toBe('kafka:19092');
    expect(sluice.environment.ES_URL).toBe('http://elasticsearch:9200');
    expect(mountedPipelines().length).toBeGreaterThan(0);
  });

  it('runs two replicas of sluice, each a full container (no fixed name, no fixed host port)', () => {
    const sluice = config.services.sluice;
    expect(sluice.deploy.replicas).toBe(2);
    expect(sluice.container_name).toBeUndefined();
    expect(sluice.ports).toBeUndefined();
    expect(sluice.restart).toBe('unless-stopped');
    expect(sluice.deploy.resources.limits.memory).toBeTruthy();
  });

  it('sets only environment variables that sluice reads', () => {
    const reads = variablesSluiceReads();
    const set = Object.keys(config.services.sluice.environment ?? {});
    expect(set.length).toBeGreaterThan(0);
    expect(set.filter((v) => !reads.has(v))).toEqual([]);
  });

  it('sets every variable the mounted pipelines need, and only variables the image or those pipelines read', () => {
    const env = config.services.sluice.environment ?? {};
    const files = mountedPipelines();
    const reads = variablesImageReads(files);
    expect(Object.keys(env).filter((v) => !reads.has(v))).toEqual([]);
    for (const f of files) {
      const missing = [...pipelineVariables(f).required].filter((v) => env[v] === undefined && env[`${v}_FILE`] === undefined);
      expect(missing, `${f} needs these variables`).toEqual([]);
    }
  });

  it('checks health with the image\'s /healthz script, never /readyz', () => {
    const hc = config.services.sluice.healthcheck;
    expect(hc.test).toEqual(['CMD', 'node', '/app/deploy/healthcheck.mjs']);
    expect(JSON.stringify(hc)).not.toMatch(/readyz/);
    expect(existsSync(join(ROOT, 'deploy', 'healthcheck.mjs'))).toBe(true);
    expect(durationMs(hc.timeout)).toBeLessThan(durationMs(hc.interval));
  });

  it('gives a graceful stop more time than sluice\'s shutdown timeout', () => {
    const sluice = config.services.sluice;
    expect(durationMs(sluice.stop_grace_period)).toBeGreaterThanOrEqual(shutdownTimeoutMs(sluice) + 10_000);
  });

  it('runs sluice as the image\'s non-root user by default, overridable with SLUICE_UID/SLUICE_GID, on a read-only root', () => {
    const df = parseDockerfile();
    const runtime = finalStage(df);
    const sluice = config.services.sluice;
    expect(sluice.user).toBe(`${runtime.args.SLUICE_UID}:${runtime.args.SLUICE_GID}`);
    expect(sluice.build.args).toEqual({ SLUICE_UID: runtime.args.SLUICE_UID, SLUICE_GID: runtime.args.SLUICE_GID });
    expect(sluice.read_only).toBe(true);
    const mine = composeConfig(COMPOSE_FILE, { SLUICE_UID: '1234', SLUICE_GID: '5678' }).services.sluice;
    expect(mine.user).toBe('1234:5678');
    expect(mine.build.args).toEqual({ SLUICE_UID: '1234', SLUICE_GID: '5678' });
  });

  it('creates the topics sluice consumes before sluice and the producer start, with partitions >= replicas x workers', () => {
    const setup = config.services['kafka-setup'];
    const script = [setup.entrypoint, setup.command].flat().join(' ');
    const replicas = config.services.sluice.deploy.replicas;
    for (const def of loadedPipelines()) {
      const input = def.input.config as { topics?: string[]; partitionsConsumedConcurrently: number };
      for (const topic of input.topics ?? []) {
        const m = new RegExp(`--topic ${topic} --partitions (\\d+)`).exec(script);
        expect(m, `kafka-setup creates ${topic}`).not.toBeNull();
        expect(Number(m![1])).toBeGreaterThanOrEqual(replicas * input.partitionsConsumedConcurrently);
      }
    }
    expect(script).toMatch(/--if-not-exists/);
    expect(config.services.sluice.depends_on['kafka-setup']).toEqual({ condition: 'service_completed_successfully' });
    expect(config.services['sample-producer'].depends_on['kafka-setup']).toEqual({ condition: 'service_completed_successfully' });
    expect(config.services.sluice.depends_on.kafka).toEqual({ condition: 'service_healthy' });
    expect(config.services.sluice.depends_on.elasticsearch).toEqual({ condition: 'service_healthy' });
  });

  it('has the sample producer send the shipped sample, once, to the topic the pipeline consumes', () => {
    const producer = config.services['sample-producer'];
    const script = [producer.entrypoint, producer.command].flat().join(' ');
    const topics = loadedPipelines().flatMap((d) => (d.input.config as { topics?: string[] }).topics ?? []);
    const sent = /kafka-console-producer\.sh .*?--topic (\S+).*?< (\S+)/.exec(script);
    expect(sent).not.toBeNull();
    expect(topics).toContain(sent![1]);
    const sample = mounts(producer).find((m) => sent![2].startsWith(`${m.target}/`))!;
    expect(existsSync(join(sample.source, sent![2].slice(sample.target.length + 1)))).toBe(true);
    // Sends nothing when the topic already holds records (a second `up` adds no duplicates).
    expect(script).toMatch(/kafka-get-offsets\.sh .*--topic web-access/);
    expect(producer.restart).toBe('no');
  });

  it('indexes into the index pattern the docs tell you to open in Kibana', () => {
    for (const def of loadedPipelines()) {
      expect((def.output.config as { index: string }).index).toMatch(/^web-access-%\{\+yyyy\.MM\.dd\}$/);
    }
  });

  it('bind-mounts only paths that exist in the repository', () => {
    for (const [name, service] of Object.entries<any>(config.services)) {
      for (const m of mounts(service).filter((v) => v.source.startsWith('/'))) {
        expect(existsSync(m.source), `${name}: ${m.source}`).toBe(true);
      }
    }
  });
});
