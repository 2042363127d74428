/**
 * deploy/swarm/stack.yml, checked without a swarm: by `docker stack config` (the loader that
 * `docker stack deploy` itself uses; it needs no engine) and Debian's `docker-compose config`,
 * then against the image and sluice: variables read, secrets wired through the *_FILE
 * convention to files Swarm mounts, configs mounted where the image reads pipelines, the
 * rolling update policy, health check, resources and placement. (test/deploy/image.test.ts
 * runs the image's entrypoint with this file's environment, configs and secret.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import {
  composeConfig,
  COMPOSE_FILE,
  dockerCompose,
  dockerStackConfig,
  durationMs,
  ensureDebianPackages,
  finalStage,
  parseDockerfile,
  pipelineVariables,
  STACK_ENV,
  STACK_FILE,
  variablesImageReads,
} from './helpers.js';

let stack: any;
let swarm: any;
let sluice: any;

/** docker-compose 1.29 warns that compose itself ignores `configs`; that warning is expected for a stack file. */
const CONFIGS_WARNING = /^Some services \(sluice\) use the 'configs' key, which will be ignored\. Compose does not support 'configs' configuration - use `docker stack deploy` to deploy to a swarm\.$/;

beforeAll(() => {
  // docker.io (Debian's Docker, client included) only if the machine has no docker client.
  ensureDebianPackages('docker-compose:docker-compose', 'docker:docker.io');
  stack = composeConfig(STACK_FILE, STACK_ENV);
  sluice = stack.services.sluice;
  const r = dockerStackConfig(STACK_FILE, STACK_ENV);
  if (r.status !== 0) throw new Error(`docker stack config failed: ${r.stderr}`);
  swarm = parse(r.stdout);
}, 300_000);

function configFiles(): string[] {
  return Object.values<any>(stack.configs ?? {}).map((c) => c.file);
}

describe('deploy/swarm/stack.yml', () => {
  it('passes docker stack config (the loader of docker stack deploy)', () => {
    const r = dockerStackConfig(STACK_FILE, STACK_ENV);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(swarm.services.sluice.deploy.replicas).toBe(4);
  });

  it('passes docker-compose config -q (compose file format 3.8, no top-level name)', () => {
    const r = dockerCompose(STACK_FILE, ['config', '-q'], STACK_ENV);
    expect(r.stderr.split('\n').filter((l) => l && !CONFIGS_WARNING.test(l))).toEqual([]);
    expect(r.status).toBe(0);
    const raw = parse(readFileSync(STACK_FILE, 'utf8'));
    expect(raw.version).toMatch(/^3\.[89]$/);
    expect(raw).not.toHaveProperty('name');
  });

  it('refuses to deploy without an image and Kafka brokers, saying which variable is missing', () => {
    for (const missing of Object.keys(STACK_ENV)) {
      const env: Record<string, string> = { ...STACK_ENV };
      delete env[missing];
      const r = dockerStackConfig(STACK_FILE, env);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`set ${missing}`);
    }
  });

  it('takes the image, brokers and replica count from the environment', () => {
    expect(sluice.image).toBe(STACK_ENV.SLUICE_IMAGE);
    expect(sluice.environment.KAFKA_BROKERS).toBe(STACK_ENV.KAFKA_BROKERS);
    const six = composeConfig(STACK_FILE, { ...STACK_ENV, SLUICE_REPLICAS: '6' });
    expect(six.services.sluice.deploy.replicas).toBe(6);
  });

  it('attaches sluice to an attachable overlay network', () => {
    const nets = Object.keys(sluice.networks);
    expect(nets.length).toBeGreaterThan(0);
    for (const n of nets) {
      expect(stack.networks[n].driver).toBe('overlay');
      expect(stack.networks[n].attachable).toBe(true);
    }
  });

  it('replaces one replica at a time, new task first, and rolls back a failed update', () => {
    const d = sluice.deploy;
    expect(d.mode).toBe('replicated');
    expect(d.update_config).toMatchObject({ parallelism: 1, order: 'start-first', failure_action: 'rollback' });
    // The monitor window covers the new task's health-check start period, so a task that never becomes healthy fails the update.
    expect(durationMs(d.update_config.monitor)).toBeGreaterThanOrEqual(durationMs(sluice.healthcheck.start_period));
    expect(durationMs(d.update_config.delay)).toBeGreaterThan(0);
    expect(d.rollback_config).toMatchObject({ parallelism: 1 });
    expect(d.rollback_config.failure_action).toBe('pause');
    expect(d.restart_policy.condition).toBe('any');
    expect(durationMs(d.restart_policy.delay)).toBeGreaterThan(0);
    // The choice of order is explained next to it.
    expect(readFileSync(STACK_FILE, 'utf8')).toMatch(/start-first: the new task joins the consumer\s*\n\s*# group before the old one leaves/);
  });

  it('checks health on /healthz only, like the image and the compose file', () => {
    const compose = composeConfig(COMPOSE_FILE).services.sluice;
    expect(sluice.healthcheck.test).toEqual(['CMD', 'node', '/app/deploy/healthcheck.mjs']);
    expect(sluice.healthcheck).toEqual(compose.healthcheck);
    expect(JSON.stringify(sluice.healthcheck)).not.toMatch(/readyz/);
  });

  it('gives a graceful stop more time than sluice\'s shutdown timeout', () => {
    const timeout = Number(sluice.environment.SLUICE_SHUTDOWN_TIMEOUT_MS ?? 30_000);
    expect(durationMs(sluice.stop_grace_period)).toBeGreaterThanOrEqual(timeout + 10_000);
  });

  it('limits and reserves CPU and memory', () => {
    const { limits, reservations } = sluice.deploy.resources;
    const bytes = (v: string) => {
      const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(String(v))!;
      return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2].toLowerCase()];
    };
    expect(Number(limits.cpus)).toBeGreaterThanOrEqual(Number(reservations.cpus));
    expect(bytes(limits.memory)).toBeGreaterThanOrEqual(bytes(reservations.memory));
    expect(bytes(reservations.memory)).toBeGreaterThanOrEqual(256 * 1024 ** 2);
  });

  it('has placement hints', () => {
    const p = sluice.deploy.placement;
    expect(p.constraints.length).toBeGreaterThan(0);
    expect(p.preferences.some((x: any) => 'spread' in x)).toBe(true);
  });

  it('mounts pipeline files as configs where the image reads pipelines, world-readable', () => {
    const runtimeEnv = parseDockerfile();
    const pipelinesDir = (finalStage(runtimeEnv).instructions.find((i) => i.keyword === 'ENV' && /SLUICE_PIPELINES=/.test(i.text))!.text.match(/SLUICE_PIPELINES=(\S+)/)![1]);
    expect(pipelinesDir).toBe('/etc/sluice/pipelines');
    expect(sluice.configs.length).toBeGreaterThan(0);
    for (const c of sluice.configs) {
      expect(c.target.startsWith(`${pipelinesDir}/`)).toBe(true);
      expect(c.target.endsWith('.json')).toBe(true);
      expect(c.mode & 0o444).toBe(0o444);
      const def = stack.configs[c.source];
      expect(existsSync(def.file), def.file).toBe(true);
      // Configs are immutable: each deploy of a changed pipeline needs a new config name.
      expect(readFileSync(STACK_FILE, 'utf8')).toMatch(new RegExp(`name: .*\\$\\{SLUICE_CONFIG_VERSION:-1\\}`));
    }
    const v2 = composeConfig(STACK_FILE, { ...STACK_ENV, SLUICE_CONFIG_VERSION: '2' });
    expect(Object.values<any>(v2.configs).map((c) => c.name)).toEqual(Object.values<any>(stack.configs).map((c) => c.name.replace(/-1$/, '-2')));
  });

  it('reads credentials from Swarm secrets through the *_FILE convention, readable by the service user only', () => {
    const fileVars = Object.entries<string>(sluice.environment).filter(([k]) => k.endsWith('_FILE'));
    expect(fileVars.length).toBeGreaterThan(0);
    const [uid, gid] = sluice.user.split(':');
    for (const [name, path] of fileVars) {
      const m = /^\/run\/secrets\/(.+)$/.exec(path);
      expect(m, `${name} points into /run/secrets`).not.toBeNull();
      const secret = sluice.secrets.find((s: any) => (s.target ?? s.source) === m![1]);
      expect(secret, `a secret is mounted at ${path}`).toBeDefined();
      expect(stack.secrets[secret.source].external).toBe(true);
      expect(secret).toMatchObject({ uid, gid, mode: 0o400 });
      // The variable without _FILE is what the pipelines reference, and it is not also set directly.
      const variable = name.slice(0, -'_FILE'.length);
      expect(sluice.environment[variable]).toBeUndefined();
      expect(configFiles().some((f) => pipelineVariables(f).all.has(variable))).toBe(true);
    }
  });

  it('runs the pipeline of the compose file, with credentials: same input, filters and index', () => {
    const compose = composeConfig(COMPOSE_FILE).services.sluice;
    const composeDir = compose.volumes.map((v: string) => v.split(':')).find((v: string[]) => v[1] === '/etc/sluice/pipelines')[0];
    for (const file of configFiles()) {
      const swarm = JSON.parse(readFileSync(file, 'utf8'));
      const local = JSON.parse(readFileSync(join(composeDir, basename(file)), 'utf8'));
      expect(swarm.input).toEqual(local.input);
      expect(swarm.filters).toEqual(local.filters);
      expect(swarm.deadLetter).toEqual(local.deadLetter);
      const { auth, ...output } = swarm.output.elasticsearch;
      expect(output).toEqual(local.output.elasticsearch);
      expect(auth).toEqual({ username: '${ES_USERNAME:-sluice}', password: '${ES_PASSWORD}' });
    }
  });

  it('sets only variables that the image or its pipelines read, and every variable the pipelines need', () => {
    const env = sluice.environment;
    const reads = variablesImageReads(configFiles());
    expect(Object.keys(env).filter((v) => !reads.has(v))).toEqual([]);
    for (const f of configFiles()) {
      const missing = [...pipelineVariables(f).required].filter((v) => env[v] === undefined && env[`${v}_FILE`] === undefined);
      expect(missing, `${f} needs these variables`).toEqual([]);
    }
  });

  it('runs as the image\'s non-root user on a read-only root file system', () => {
    const runtime = finalStage(parseDockerfile());
    expect(sluice.user).toBe(`${runtime.args.SLUICE_UID}:${runtime.args.SLUICE_GID}`);
    expect(sluice.read_only).toBe(true);
    const other = composeConfig(STACK_FILE, { ...STACK_ENV, SLUICE_UID: '2000', SLUICE_GID: '3000' }).services.sluice;
    expect(other.user).toBe('2000:3000');
    expect(other.secrets[0]).toMatchObject({ uid: '2000', gid: '3000' });
  });

  it('publishes no port (Prometheus scrapes the tasks on the overlay network)', () => {
    expect(sluice.ports).toBeUndefined();
    expect(sluice.deploy.endpoint_mode).toBe('dnsrr');
  });
});
