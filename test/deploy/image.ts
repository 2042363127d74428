/**
 * The image without Docker. `assembleImage` lays out the image's files the way the
 * Dockerfile's instructions do (COPY from the build context filtered by .dockerignore, COPY
 * --from the build stage, WORKDIR, the RUN steps it knows), compiling the TypeScript from the
 * build context in the build stage. `containerCommand` then starts the image's ENTRYPOINT +
 * CMD (tini, the entrypoint script) with a container's environment, user and mounts.
 *
 * Paths inside the "container" (/app, /etc/sluice/pipelines, /run/secrets) are not
 * available outside Docker, so a stand-in `node` first in PATH maps them to the directories
 * of this emulation and then becomes the real node: what the entrypoint passes is recorded
 * exactly, and sluice runs for real on the mapped paths.
 *
 * `npm ci` is the checkout's node_modules (installed from the same lock file), `npm prune
 * --omit=dev` keeps the packages that `npm ls --omit=dev` lists, so the runtime stage gets
 * production dependencies only, as in the image. Not emulated (needs a Docker engine): the
 * base image itself, apt-get, and the user and group entries.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, sep } from 'node:path';
import { contextFiles, DockerIgnore, finalStage, parseDockerfile, ROOT, stageEnv, substitute, type Dockerfile } from './helpers.js';

export interface Image {
  /** The final stage's file system. */
  root: string;
  dockerfile: Dockerfile;
  env: Record<string, string>;
  user: string;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[];
}

/** The system part of PATH in the node images. */
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function inRoot(root: string, imagePath: string): string {
  return join(root, imagePath);
}

function runStep(step: string, root: string, workdir: string, log: string[]): void {
  const s = step.trim();
  const cwd = inRoot(root, workdir);
  if (/^npm ci\b/.test(s)) {
    // The checkout's node_modules (installed by `npm ci` from the same package-lock.json).
    symlinkSync(join(ROOT, 'node_modules'), join(cwd, 'node_modules'), 'dir');
    log.push(`${s}: the checkout's node_modules`);
  } else if (/^npm run build\b/.test(s)) {
    const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    if (r.status !== 0) throw new Error(`build stage: \`${s}\` failed in the build context:\n${r.stdout}\n${r.stderr}`);
    log.push(`${s}: compiled`);
  } else if (/^npm prune --omit=dev\b/.test(s)) {
    // The production dependency tree only, as npm computes it from the same lock file.
    const modules = join(cwd, 'node_modules');
    rmSync(modules);
    mkdirSync(modules, { mode: 0o755 });
    const r = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' });
    const top = join(ROOT, 'node_modules') + sep;
    const packages = r.stdout.split('\n').filter((p) => p.startsWith(top) && !p.slice(top.length).includes(`${sep}node_modules${sep}`));
    if (packages.length === 0) throw new Error(`npm ls --omit=dev listed no production dependency: ${r.stderr}`);
    for (const p of packages) cpSync(p, join(modules, p.slice(top.length)), { recursive: true, verbatimSymlinks: true });
    log.push(`${s}: ${packages.length} production packages`);
  } else if (/^(apt-get|rm -rf \/var\/lib\/apt\/lists|groupadd|useradd)\b/.test(s)) {
    log.push(`${s}: system setup, not emulated`);
  } else if (/^mkdir -p /.test(s)) {
    for (const d of s.split(/\s+/).slice(2)) mkdirSync(inRoot(root, posix.resolve(workdir, d)), { recursive: true, mode: 0o755 });
  } else if (/^ln -s /.test(s)) {
    const [target, link] = s.split(/\s+/).slice(2);
    mkdirSync(dirname(inRoot(root, link)), { recursive: true });
    symlinkSync(inRoot(root, posix.resolve(workdir, target)), inRoot(root, posix.resolve(workdir, link)));
  } else {
    throw new Error(`the image emulation (test/deploy/image.ts) does not know the RUN step \`${s}\`: teach it`);
  }
}

function copy(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

export function assembleImage(dir: string = mkdtempSync(join(tmpdir(), 'sluice-image-'))): Image & { log: string[] } {
  chmodSync(dir, 0o755);
  const df = parseDockerfile();
  const ignore = new DockerIgnore();
  const stageRoots = new Map<string, string>();
  const log: string[] = [];
  df.stages.forEach((stage, index) => {
    const root = join(dir, `stage-${index}`);
    mkdirSync(root, { mode: 0o755 });
    const vars = { ...df.globalArgs, ...stage.args };
    let workdir = '/';
    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, substitute(ins.args[0], vars));
          mkdirSync(inRoot(root, workdir), { recursive: true, mode: 0o755 });
          break;
        case 'COPY': {
          const sources = ins.args.slice(0, -1);
          const destArg = ins.args.at(-1)!;
          const dest = posix.resolve(workdir, destArg);
          const intoDir = destArg.endsWith('/') || sources.length > 1;
          for (const src of sources) {
            if (ins.flags.from) {
              const fromRoot = stageRoots.get(ins.flags.from);
              if (!fromRoot) throw new Error(`COPY --from=${ins.flags.from}: no such stage`);
              const from = inRoot(fromRoot, posix.resolve('/', src));
              if (!existsSync(from)) throw new Error(`COPY --from=${ins.flags.from} ${src}: the build stage has no such path`);
              copy(from, inRoot(root, intoDir ? posix.join(dest, posix.basename(src)) : dest));
              continue;
            }
            const rel = posix.normalize(src).replace(/\/$/, '');
            const files = contextFiles(rel, ignore);
            if (files.length === 0) throw new Error(`COPY ${src} (Dockerfile line ${ins.line}): nothing in the build context (missing, or excluded by .dockerignore)`);
            const isDir = statSync(join(ROOT, rel)).isDirectory();
            for (const f of files) {
              const target = isDir ? posix.join(dest, posix.relative(rel, f)) : intoDir ? posix.join(dest, posix.basename(f)) : dest;
              mkdirSync(dirname(inRoot(root, target)), { recursive: true, mode: 0o755 });
              copyFileSync(join(ROOT, f), inRoot(root, target));
              if (ins.flags.chmod) chmodSync(inRoot(root, target), parseInt(ins.flags.chmod, 8));
            }
          }
          break;
        }
        case 'RUN':
          for (const step of substitute(ins.text, vars).split('&&')) runStep(step, root, workdir, log);
          break;
        default:
          break;
      }
    }
    stageRoots.set(stage.name ?? String(index), root);
    stageRoots.set(String(index), root);
  });
  const last = finalStage(df);
  const vars = { ...df.globalArgs, ...last.args };
  const pick = (keyword: string) => last.instructions.filter((i) => i.keyword === keyword).at(-1);
  const healthcheck = pick('HEALTHCHECK');
  return {
    root: stageRoots.get(String(df.stages.length - 1))!,
    dockerfile: df,
    env: stageEnv(last),
    user: substitute(pick('USER')?.args[0] ?? 'root', vars),
    entrypoint: pick('ENTRYPOINT')?.args ?? [],
    cmd: pick('CMD')?.args ?? [],
    healthcheck: healthcheck ? healthcheck.args.slice(1) : [],
    log,
  };
}

// ---------------------------------------------------------------------------------------------
// Running it

const FAKE_NODE = `#!/bin/sh
# Stand-in for the image's node (test/deploy/image.ts): records how it was started, maps the
# image's paths to the emulation's directories, then becomes the real node.
log=\${FAKE_NODE_LOG:?}
echo "$$" > "$log/pid"
id -u > "$log/uid"
: > "$log/argv"
for a in "$@"; do printf '%s\\n' "$a" >> "$log/argv"; done
map() {
  v=$1
  old_ifs=$IFS
  IFS=';'
  for m in $FAKE_NODE_MAP; do
    from=\${m%%=*}
    to=\${m#*=}
    case $v in
      "$from" | "$from"/*) v=$to\${v#"$from"}; break ;;
    esac
  done
  IFS=$old_ifs
  printf '%s' "$v"
}
n=$#
while [ "$n" -gt 0 ]; do
  a=$(map "$1")
  shift
  set -- "$@" "$a"
  n=$((n - 1))
done
for name in $(env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*_FILE\\)=.*/\\1/p'); do
  eval "value=\\\${$name}"
  export "$name=$(map "$value")"
done
case \${FAKE_NODE_MODE:-exec} in
  record) exit 0 ;;
  sigterm-probe)
    exec "$REAL_NODE" -e 'process.on("SIGTERM", () => { console.log("node received SIGTERM"); process.exit(0); }); console.log("node ready"); setInterval(() => {}, 1000);'
    ;;
esac
exec "$REAL_NODE" "$@"
`;

export interface Mount {
  /** Path in the container. */
  target: string;
  /** Directory (bind mount) or file (Swarm config or secret) on this machine. */
  source: string;
  /** For files: owner and mode as Swarm would set them. */
  uid?: number;
  gid?: number;
  mode?: number;
}

export interface ContainerOptions {
  /** The container's arguments (compose `command`); default: the image's CMD. */
  args?: string[];
  /** The service's environment, on top of the image's ENV. */
  env?: Record<string, string>;
  /** `user:` of the service; default: the image's USER. Applied only when the tests run as root. */
  user?: string;
  mounts?: Mount[];
  /** `exec` (default): run node; `record`: only record the command; `sigterm-probe`: a node that waits for SIGTERM. */
  mode?: 'exec' | 'record' | 'sigterm-probe';
  /** Start through tini as the ENTRYPOINT says (default true). */
  tini?: boolean;
}

export interface ContainerCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Where the stand-in node records `argv`, `pid` and `uid`. */
  logDir: string;
  recorded: () => { argv: string[]; pid: number; uid: number };
}

const workDirs: string[] = [];

/** Removes the directories that containerCommand made. */
export function cleanupContainers(): void {
  for (const d of workDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function containerCommand(image: Image, opts: ContainerOptions = {}): ContainerCommand {
  const work = mkdtempSync(join(tmpdir(), 'sluice-container-'));
  workDirs.push(work);
  chmodSync(work, 0o755);
  const fakeBin = join(work, 'bin');
  mkdirSync(fakeBin, { mode: 0o755 });
  writeFileSync(join(fakeBin, 'node'), FAKE_NODE, { mode: 0o755 });
  const logDir = join(work, 'log');
  mkdirSync(logDir);
  chmodSync(logDir, 0o777);

  const user = opts.user ?? image.user;
  const [uid, gid] = user.split(':').map(Number);
  const asRoot = process.getuid?.() === 0;

  // The container's view of the paths the mounts and the image provide.
  const map = new Map<string, string>([['/app', join(image.root, 'app')]]);
  const mnt = join(work, 'mnt');
  for (const m of opts.mounts ?? []) {
    if (statSync(m.source).isDirectory()) {
      // A copy, so that the container's user needs no access to the checkout's directories.
      const dir = join(mnt, m.target);
      cpSync(m.source, dir, { recursive: true });
      for (let d = dir; d !== work; d = dirname(d)) chmodSync(d, 0o755);
      map.set(m.target, dir);
      continue;
    }
    const parent = posix.dirname(m.target);
    const dir = join(mnt, parent);
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const fromImage = join(image.root, parent);
      if (existsSync(fromImage)) cpSync(fromImage, dir, { recursive: true });
      for (let d = dir; d !== work; d = dirname(d)) chmodSync(d, 0o755);
    }
    const file = join(mnt, m.target);
    copyFileSync(m.source, file);
    chmodSync(file, m.mode ?? 0o444);
    if (asRoot) chownSync(file, m.uid ?? 0, m.gid ?? 0);
    map.set(parent, dir);
  }
  const mapping = [...map.entries()].sort((a, b) => b[0].length - a[0].length).map(([from, to]) => `${from}=${to}`).join(';');

  const env: Record<string, string> = {
    PATH: `${fakeBin}:${join(image.root, 'usr', 'local', 'bin')}:${BASE_PATH}`,
    HOME: '/',
    ...image.env,
    ...(opts.env ?? {}),
    FAKE_NODE_LOG: logDir,
    FAKE_NODE_MAP: mapping,
    FAKE_NODE_MODE: opts.mode ?? 'exec',
    REAL_NODE: process.execPath,
  };
  let argv = [...image.entrypoint, ...(opts.args ?? image.cmd)];
  if (opts.tini === false) {
    const dashdash = argv.indexOf('--');
    if (dashdash >= 0 && /tini$/.test(argv[0])) argv = argv.slice(dashdash + 1);
  }
  // The entrypoint is found through PATH, as in the image.
  const resolved = argv[0].includes('/') ? argv[0] : join(image.root, 'usr', 'local', 'bin', argv[0]);
  argv = [resolved, ...argv.slice(1)];
  if (asRoot) argv = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...argv];
  return {
    file: argv[0],
    args: argv.slice(1),
    env,
    logDir,
    recorded: () => ({
      argv: readFileSync(join(logDir, 'argv'), 'utf8').split('\n').slice(0, -1),
      pid: Number(readFileSync(join(logDir, 'pid'), 'utf8')),
      uid: Number(readFileSync(join(logDir, 'uid'), 'utf8')),
    }),
  };
}

export function runContainer(image: Image, opts: ContainerOptions = {}) {
  const c = containerCommand(image, opts);
  const r = spawnSync(c.file, c.args, { env: c.env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error, ...c };
}
