/**
 * The image's entrypoint, run outside Docker with a container's environment. The image's
 * files are laid out from the Dockerfile and the build context (test/deploy/image.ts: the
 * TypeScript is compiled from the context as the build stage does), then the ENTRYPOINT
 * (tini, docker-entrypoint.sh) runs with the image's ENV plus the compose or stack service's
 * environment, as the image's non-root user, with the service's mounts, configs and secrets
 * mapped to files here. `validate` is the verb: it proves the arguments and every variable
 * reach sluice (an unset variable or unreadable secret fails it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleImage, cleanupContainers, containerCommand, runContainer, type Image, type Mount } from './image.js';
import { COMPOSE_FILE, composeConfig, ensureDebianPackages, ENTRYPOINT, mounts, ROOT, STACK_ENV, STACK_FILE, valueOptionsOf } from './helpers.js';

let image: Image;
let imageDir: string;
let compose: any;
let stack: any;
const scratch = mkdtempSync(join(tmpdir(), 'sluice-image-test-'));

beforeAll(() => {
  ensureDebianPackages('docker-compose:docker-compose', 'tini:tini', 'shellcheck:shellcheck');
  compose = composeConfig(COMPOSE_FILE).services.sluice;
  stack = composeConfig(STACK_FILE, STACK_ENV);
  imageDir = mkdtempSync(join(tmpdir(), 'sluice-image-'));
  image = assembleImage(imageDir);
}, 600_000);

afterAll(() => {
  cleanupContainers();
  rmSync(imageDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * Outside a PID namespace tini is not PID 1 and says so (three lines); in a container it is.
 */
function withoutTiniWarning(stderr: string): string {
  return stderr.replace(/^\s*\[WARN\s+tini \(\d+\)\] Tini is not running as PID 1.*\n(?:Zombie processes.*\n)?(?:To fix the problem.*\n)?/m, '');
}

/** The compose service's bind mounts as the container sees them. */
function composeMounts(): Mount[] {
  return mounts(compose).map((m) => ({ target: m.target, source: m.source }));
}

/** The stack service's configs and secrets as Swarm mounts them (secrets under /run/secrets). */
function stackMounts(secretValues: Record<string, string>): Mount[] {
  const sluice = stack.services.sluice;
  const [uid, gid] = sluice.user.split(':').map(Number);
  const out: Mount[] = sluice.configs.map((c: any) => ({ target: c.target, source: stack.configs[c.source].file, uid: 0, gid: 0, mode: c.mode }));
  for (const s of sluice.secrets) {
    const file = join(scratch, `secret-${s.source}`);
    writeFileSync(file, secretValues[s.source] ?? '');
    out.push({ target: `/run/secrets/${s.target ?? s.source}`, source: file, uid: Number(s.uid ?? uid), gid: Number(s.gid ?? gid), mode: s.mode ?? 0o444 });
  }
  return out;
}

describe('the image, assembled from the Dockerfile', () => {
  it('has the compiled CLI, production files and the entrypoint where the Dockerfile puts them', () => {
    for (const p of ['app/bin/sluice', 'app/dist/cli/main.js', 'app/package.json', 'app/schema/pipeline.schema.json', 'app/deploy/healthcheck.mjs', 'usr/local/bin/docker-entrypoint.sh', 'etc/sluice/pipelines']) {
      expect(existsSync(join(image.root, p)), p).toBe(true);
    }
    expect(existsSync(join(image.root, 'app', 'src'))).toBe(false);
    expect(existsSync(join(image.root, 'app', 'test'))).toBe(false);
    expect(spawnSync('ls', ['-A', join(image.root, 'etc', 'sluice', 'pipelines')], { encoding: 'utf8' }).stdout).toBe('');
    expect(image.user).toBe('10001:10001');
    expect(image.healthcheck).toEqual(['node', '/app/deploy/healthcheck.mjs']);
  });

  it('has an entrypoint that shellcheck accepts as POSIX sh (the image has no bash)', () => {
    const r = spawnSync('shellcheck', ['--shell=sh', ENTRYPOINT], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    const scripts = ['ensure-debian-packages.sh', 'ensure-python-tools.sh'].map((f) => join(ROOT, 'scripts', f));
    const s = spawnSync('shellcheck', scripts, { encoding: 'utf8' });
    expect(s.stdout + s.stderr).toBe('');
  });
});

describe('the entrypoint maps the container arguments to a sluice command', () => {
  const cases: [string, string[] | undefined, Record<string, string>, string[]][] = [
    ['no arguments: the image CMD, run on $SLUICE_PIPELINES', undefined, {}, ['run', '/etc/sluice/pipelines']],
    ['validate on $SLUICE_PIPELINES', ['validate'], {}, ['validate', '/etc/sluice/pipelines']],
    ['explicit paths win', ['run', '/srv/a.json', '/srv/more'], {}, ['run', '/srv/a.json', '/srv/more']],
    ['options only: run with them, on $SLUICE_PIPELINES', ['--log-level', 'debug'], {}, ['run', '--log-level', 'debug', '/etc/sluice/pipelines']],
    ['an option value is not a path', ['run', '--shutdown-timeout', '5000', '--http-port=9700'], {}, ['run', '--shutdown-timeout', '5000', '--http-port=9700', '/etc/sluice/pipelines']],
    ['SLUICE_PIPELINES with several paths, no glob expansion', ['validate'], { SLUICE_PIPELINES: '/srv/a.json, /srv/b/*.json,/srv/c' }, ['validate', '/srv/a.json', '/srv/b/*.json', '/srv/c']],
    ['process passes through', ['process', '/etc/sluice/pipelines/web-access.json', '--input', '/x.log'], {}, ['process', '/etc/sluice/pipelines/web-access.json', '--input', '/x.log']],
    ['doctor passes through', ['doctor', '/etc/sluice/pipelines/web-access.json'], {}, ['doctor', '/etc/sluice/pipelines/web-access.json']],
    ['--help goes to sluice itself', ['--help'], {}, ['--help']],
    ['an unknown word goes to sluice, which reports it', ['frobnicate'], {}, ['frobnicate']],
  ];
  for (const [name, args, env, expected] of cases) {
    it(name, () => {
      const r = runContainer(image, { args, env, mode: 'record', tini: false });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.recorded().argv).toEqual(['/app/bin/sluice', ...expected]);
    });
  }

  it('knows every option of `run` that takes a value (src/cli/main.ts)', () => {
    const script = readFileSync(ENTRYPOINT, 'utf8');
    const known = /^\s*(--[a-z-]+(?: \| --[a-z-]+)*)\) skip_next=1/m.exec(script)![1].split(' | ');
    expect(known.sort()).toEqual(valueOptionsOf('run'));
  });

  it('runs other programs of the image as they are (debugging)', () => {
    const r = runContainer(image, { args: ['sh', '-c', 'echo "hello from $(id -u)"'], tini: false });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`hello from ${process.getuid?.() === 0 ? 10001 : process.getuid?.()}\n`);
    expect(existsSync(join(r.logDir, 'argv'))).toBe(false);
  });

  it('replaces itself with node (exec), so signals reach sluice', async () => {
    const c = containerCommand(image, { mode: 'record', tini: false });
    const child = spawn(c.file, c.args, { env: c.env, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    expect(code).toBe(0);
    // The process started here (setpriv, then the script) is the one that ends up running node.
    expect(c.recorded().pid).toBe(child.pid);
  });
});

describe('the container, started as the Dockerfile says (tini, entrypoint, non-root user)', () => {
  it('validates the compose service\'s pipelines with the compose service\'s environment and command', () => {
    const args = ['validate', ...compose.command.slice(1)];
    const r = runContainer(image, { args, env: compose.environment, mounts: composeMounts() });
    expect(withoutTiniWarning(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/web-access\.json: ok \(pipeline "web-access"\)/);
    expect(r.recorded()).toMatchObject({ argv: ['/app/bin/sluice', 'validate', '/etc/sluice/pipelines'], uid: process.getuid?.() === 0 ? 10001 : process.getuid?.() });
  });

  it('validates with the image defaults alone (`validate` on $SLUICE_PIPELINES), as the compose user override', () => {
    const r = runContainer(image, { args: ['validate'], env: compose.environment, mounts: composeMounts(), user: '4321:4321' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok \(pipeline "web-access"\)/);
    if (process.getuid?.() === 0) expect(r.recorded().uid).toBe(4321);
  });

  it('fails validation when the compose environment lacks a variable the pipeline needs', () => {
    const env = { ...compose.environment };
    delete env.ES_URL;
    const r = runContainer(image, { args: ['validate'], env, mounts: composeMounts() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/environment variable ES_URL is not set/);
  });

  it('validates the stack\'s pipeline configs with the stack\'s environment, the password read from the Swarm secret', () => {
    const sluice = stack.services.sluice;
    const r = runContainer(image, {
      args: ['validate'],
      env: sluice.environment,
      user: sluice.user,
      mounts: stackMounts({ es_password: 's3cret-pa55word\n' }),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/web-access\.json: ok \(pipeline "web-access"\)/);
    expect(r.stdout + r.stderr).not.toContain('s3cret-pa55word');
  });

  it('fails the stack\'s validation, naming the variable, when the secret is not there', () => {
    const sluice = stack.services.sluice;
    const withoutSecret = stackMounts({}).filter((m) => !m.target.startsWith('/run/secrets/'));
    const r = runContainer(image, { args: ['validate'], env: sluice.environment, user: sluice.user, mounts: withoutSecret });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ES_PASSWORD_FILE names "\/.*es_password", which cannot be read: ENOENT/);
  });

  it('forwards SIGTERM through tini to node, which stops and exits 0', async () => {
    const c = containerCommand(image, { mode: 'sigterm-probe', env: compose.environment, mounts: composeMounts() });
    const child = spawn(c.file, c.args, { env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!out.includes('node ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('node ready');
    // The recorded command is the real one: `run` on the pipelines, through tini and the entrypoint.
    expect(c.recorded().argv).toEqual(['/app/bin/sluice', 'run', '/etc/sluice/pipelines']);
    child.kill('SIGTERM'); // to tini (the process spawned here, through setpriv's exec)
    expect(await exited).toBe(0);
    expect(out).toContain('node received SIGTERM');
  });
});

describe('the sluice command inside the image', () => {
  it('is on PATH (/usr/local/bin/sluice), for `docker compose exec sluice sluice ...`', () => {
    const link = join(image.root, 'usr', 'local', 'bin', 'sluice');
    expect(existsSync(link)).toBe(true);
    const c = containerCommand(image, { env: compose.environment, mounts: composeMounts() });
    const r = spawnSync(link, ['validate', '/etc/sluice/pipelines'], { env: c.env, encoding: 'utf8' });
    expect(r.stdout).toMatch(/ok \(pipeline "web-access"\)/);
    expect(r.status).toBe(0);
  });
});
