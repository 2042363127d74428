/**
 * The Docker engine the container tests use: Debian's docker.io (dockerd 20.10), installed and
 * started when none runs. Commands go through Debian's own client, /usr/bin/docker (API 1.41,
 * classic `docker build` with BuildKit built in); a newer client elsewhere in PATH may lack
 * the buildx plugin its `docker build` needs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONTAINERS_SRC = path.dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = path.resolve(CONTAINERS_SRC, '..', '..');
/** Build contexts, the dockerd log and other scratch files (gitignored). */
export const WORK_DIR = path.join(PROJECT_ROOT, '.containers');

export const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
/** PATH for child processes (docker-compose shells out to `docker`): Debian's client first. */
export const DOCKER_PATH = `/usr/bin:${process.env.PATH ?? '/usr/local/bin:/bin'}`;
export const DOCKER_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: DOCKER_PATH,
  DOCKER_BUILDKIT: '1',
  COMPOSE_DOCKER_CLI_BUILD: '1',
};

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class DockerError extends Error {
  override name = 'DockerError';
}

/** Runs a command to completion; `input` goes to its stdin. */
export function exec(cmd: string, args: string[], opts: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? PROJECT_ROOT, env: opts.env ?? DOCKER_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(opts.input);
  });
}

/** `docker <args>`; throws with the output unless it exits 0. Returns stdout, trimmed. */
export async function docker(args: string[], opts: { input?: string | Buffer; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await exec(DOCKER, args, opts);
  if (r.code !== 0) throw new DockerError(`docker ${args.join(' ')} exited ${r.code}:\n${(r.stderr || r.stdout).trim().slice(-4000)}`);
  return r.stdout.trim();
}

/** `docker <args>` that may fail: the full result. */
export function tryDocker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<Result> {
  return exec(DOCKER, args, opts);
}

function engineAnswers(): boolean {
  return spawnSync(DOCKER, ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 }).status === 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Makes sure a Docker engine answers: installs docker.io (and debootstrap, which builds the
 * base image) when missing, starts dockerd in the background when none runs (log in
 * .containers/dockerd.log). Returns the pid of the dockerd this call started, if it started one.
 */
export async function ensureEngine(log: (m: string) => void = () => {}): Promise<{ pid?: number }> {
  const ensure = path.join(PROJECT_ROOT, 'scripts', 'ensure-debian-packages.sh');
  const install = spawnSync(ensure, ['dockerd:docker.io', 'debootstrap:debootstrap', 'docker-compose:docker-compose'], { stdio: 'inherit' });
  if (install.status !== 0) throw new DockerError('could not install docker.io / debootstrap / docker-compose (see above)');
  if (engineAnswers()) return {};
  mkdirSync(WORK_DIR, { recursive: true });
  log('starting dockerd...');
  const logFd = openSync(path.join(WORK_DIR, 'dockerd.log'), 'a');
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', logFd, logFd] });
  child.unref();
  closeSync(logFd);
  for (let i = 0; i < 120; i++) {
    if (engineAnswers()) return { pid: child.pid };
    await sleep(500);
  }
  throw new DockerError(`dockerd did not answer within 60 s: see ${path.join(WORK_DIR, 'dockerd.log')}`);
}
