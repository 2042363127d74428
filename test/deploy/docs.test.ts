/**
 * docs/deployment.md is a walk-through, and every command in it must be one the files support.
 * The `sh` code blocks are read in order, the way a reader would type them (keeping the
 * variables they `export`), and each command is checked against the real files:
 *
 * - `docker compose …`: the compose file exists, its subcommand and options are known here,
 *   the services it names exist; `run`/`exec` in the sluice service run verbs that sluice has,
 *   on paths that the service's mounts or the image provide.
 * - `docker build` / `push` / `run`: the build context and its build arguments exist, images
 *   are built before they are pushed or run, `-v` sources exist, paths given to sluice lie in
 *   a mount, and the pipelines it is given get every variable they need.
 * - `docker stack deploy`: `docker stack config` accepts the stack file with the variables
 *   exported so far, the image was pushed, every secret it needs was created before.
 *   `docker service …`, `docker stack services|ps`: the stack was deployed and has the service.
 *   `docker secret|config rm`: the thing exists and the last deploy no longer uses it.
 *   `docker node update --label-add`: the stack's placement uses that label.
 * - `curl localhost:PORT/INDEX`: the port is published by the compose file and the index
 *   pattern is the one the pipeline writes.
 *
 * Inline `docker compose|stack|service …` and `sluice …` code spans in the text, the links to
 * files and the SLUICE_* variables named are checked the same way, without the order.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { loadPipeline } from '../../src/config/load.js';
import { components } from '../../src/registry.js';
import {
  COMPOSE_FILE,
  composeConfig,
  DOCKERFILE,
  DOCS,
  dockerStackConfig,
  ensureDebianPackages,
  finalStage,
  mounts,
  parseDockerfile,
  pipelineVariables,
  publishedPorts,
  ROOT,
  sluiceVerbs,
  variablesImageReads,
} from './helpers.js';

const docs = readFileSync(DOCS, 'utf8');

// ---------------------------------------------------------------------------------------------
// Reading the docs

interface Block {
  line: number;
  lang: string;
  text: string;
}

function codeBlocks(): Block[] {
  const out: Block[] = [];
  const re = /^( *)```(\w*)\n([\s\S]*?)^\1```/gm;
  for (const m of docs.matchAll(re)) {
    const text = m[3].replace(new RegExp(`^${m[1]}`, 'gm'), '');
    out.push({ line: docs.slice(0, m.index).split('\n').length, lang: m[2], text });
  }
  return out;
}

/** Shell words of each command of a line (split on `&&`, `||`, `|`, `;`), quotes removed, `$(…)` kept as is. */
export function shellCommands(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let cur = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(cur);
    cur = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, j);
      i = j;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      cur += line.slice(i + 1, j);
      i = j;
      inWord = true;
    } else if (c === '$' && line[i + 1] === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < line.length; j++) {
        if (line[j] === '(') depth++;
        if (line[j] === ')' && --depth === 0) break;
      }
      cur += line.slice(i, j + 1);
      i = j;
      inWord = true;
    } else if (c === '\\') {
      cur += line[++i] ?? '';
      inWord = true;
    } else if (/\s/.test(c)) {
      endWord();
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === '|' || c === ';' || c === '&') {
      if ((c === '&' || c === '|') && line[i + 1] === c) i++;
      endCommand();
    } else {
      cur += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

function blockCommands(block: Block): { line: number; words: string[] }[] {
  const out: { line: number; words: string[] }[] = [];
  const lines = block.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i];
    const start = i;
    while (/\\$/.test(text) && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++i];
    for (const words of shellCommands(text)) out.push({ line: block.line + 1 + start, words });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The files, as the commands see them

const dockerfile = parseDockerfile();
const runtime = finalStage(dockerfile);
const verbs = sluiceVerbs();

/** Image path → where its content comes from (for the runtime stage's COPY lines). */
function imageHas(path: string): boolean {
  let workdir = '/';
  for (const ins of runtime.instructions) {
    if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args[0]);
    if (ins.keyword !== 'COPY') continue;
    const dest = posix.resolve(workdir, ins.args.at(-1)!);
    if (path === dest) return true;
    if (path.startsWith(`${dest}/`)) {
      if (ins.flags.from) return true; // generated in the build stage (dist, node_modules)
      const src = join(ROOT, ins.args[0], path.slice(dest.length + 1));
      return existsSync(src);
    }
  }
  return /^\/etc\/sluice\/pipelines\/?$/.test(path);
}

function pwdPath(p: string): string | undefined {
  const m = /^(?:\$PWD|\$\{PWD\}|\.)(\/.*)?$/.exec(p);
  return m ? join(ROOT, m[1] ?? '') : undefined;
}

interface Mounted {
  target: string;
  source: string;
}

/** A path inside the container: in a mount, or in the image. */
function containerPathExists(path: string, mounted: Mounted[]): boolean {
  const m = [...mounted].sort((a, b) => b.target.length - a.target.length).find((v) => path === v.target || path.startsWith(`${v.target}/`));
  if (m) return existsSync(join(m.source, path.slice(m.target.length)));
  return imageHas(path);
}

/** The pipeline files that `validate`/`run`/`process` would read for these arguments. */
function pipelineFilesFor(args: string[], mounted: Mounted[]): string[] {
  const paths = args.slice(1).filter((a) => a.startsWith('/'));
  if (paths.length === 0 && (args[0] === 'run' || args[0] === 'validate')) paths.push('/etc/sluice/pipelines');
  const files: string[] = [];
  for (const p of paths) {
    const m = mounted.find((v) => p === v.target || p.startsWith(`${v.target}/`));
    if (!m) continue;
    const host = join(m.source, p.slice(m.target.length));
    if (!existsSync(host)) continue;
    if (statSync(host).isDirectory()) files.push(...readdirSync(host).filter((f) => f.endsWith('.json') && !f.endsWith('.test.json')).map((f) => join(host, f)));
    else if (host.endsWith('.json')) files.push(host);
  }
  return files;
}

/** Checks the arguments given to the image's entrypoint (or to `sluice` itself). */
function checkSluiceArgs(args: string[], mounted: Mounted[], env: Record<string, string> | undefined, problems: string[], where: string): void {
  if (args.length === 0) return; // the image's CMD: run
  const [first] = args;
  if (first.startsWith('-')) return;
  if (!verbs.has(first)) {
    problems.push(`${where}: "${first}" is not a sluice verb (${[...verbs].join(', ')})`);
    return;
  }
  for (const a of args.slice(1)) {
    if (a.startsWith('/') && !containerPathExists(a, mounted)) problems.push(`${where}: ${a} does not exist in the container (mounts or image)`);
  }
  if (env) {
    for (const f of pipelineFilesFor(args, mounted)) {
      const missing = [...pipelineVariables(f).required].filter((v) => env[v] === undefined && env[`${v}_FILE`] === undefined);
      if (missing.length) problems.push(`${where}: ${posix.relative(ROOT, f)} needs ${missing.join(', ')}, which the command does not set`);
      const reads = variablesImageReads([f]);
      const unread = Object.keys(env).filter((v) => !reads.has(v));
      if (unread.length) problems.push(`${where}: sets ${unread.join(', ')}, which neither sluice nor ${posix.relative(ROOT, f)} reads`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The walk-through

interface State {
  env: Record<string, string>;
  built: Set<string>;
  pushed: Set<string>;
  secrets: Set<string>;
  stacks: Map<string, { services: string[]; secrets: string[]; configs: string[] }>;
  configsEverDeployed: Set<string>;
  /** Inline code spans: check names and files only. */
  loose: boolean;
  counts: Map<string, number>;
}

function newState(loose: boolean): State {
  return { env: {}, built: new Set(), pushed: new Set(), secrets: new Set(), stacks: new Map(), configsEverDeployed: new Set(), loose, counts: new Map() };
}

/** Splits options from positionals; `withValue` lists the options that take the next word. */
function options(words: string[], withValue: string[], flags: string[], where: string, problems: string[]) {
  const opts: [string, string | true][] = [];
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (!w.startsWith('-') || w === '-') {
      positional.push(...words.slice(i));
      break;
    }
    const [name, inline] = w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, undefined];
    if (withValue.includes(name)) opts.push([name, inline ?? words[++i]]);
    else if (flags.includes(name)) opts.push([name, true]);
    else problems.push(`${where}: option ${name} is not known to this test (add it if the command really has it)`);
  }
  return { opts, positional, get: (n: string) => opts.filter(([k]) => k === n).map(([, v]) => v as string) };
}

const composeCache = new Map<string, any>();

/** The compose file as resolved with these variables (`$(id -u)` and the like stand for an ID). */
function composeServices(file: string, env: Record<string, string>): any {
  const vars = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.includes('$(') ? '1000' : v]));
  const key = `${file}\n${JSON.stringify(vars)}`;
  if (!composeCache.has(key)) composeCache.set(key, composeConfig(file, vars));
  return composeCache.get(key);
}

function checkCompose(words: string[], env: Record<string, string>, state: State, problems: string[], where: string) {
  let rest = words;
  let file = COMPOSE_FILE;
  while (rest[0] === '-f' || rest[0] === '--file') {
    file = resolve(ROOT, rest[1]);
    rest = rest.slice(2);
  }
  if (!existsSync(file)) return problems.push(`${where}: no compose file ${file}`);
  const config = composeServices(file, env);
  const services = Object.keys(config.services);
  const [sub, ...args] = rest;
  const serviceNamed = (s: string) => services.includes(s) || problems.push(`${where}: no service "${s}" in ${posix.relative(ROOT, file)}`);
  const tables: Record<string, [string[], string[]]> = {
    up: [['--scale', '--wait-timeout'], ['-d', '--detach', '--build', '--wait', '--no-deps', '--force-recreate', '--remove-orphans']],
    down: [['-t', '--timeout'], ['-v', '--volumes', '--remove-orphans']],
    ps: [[], ['-a', '--all', '-q']],
    logs: [['--tail', '--since'], ['-f', '--follow', '-t', '--timestamps']],
    build: [['--build-arg'], ['--no-cache', '--pull']],
    pull: [[], []],
    restart: [['-t'], []],
    stop: [['-t'], []],
    start: [[], []],
    kill: [['-s'], []],
    config: [[], ['-q', '--quiet', '--services']],
    port: [['--index'], []],
    exec: [['--index', '-u', '--user', '-e', '--env', '-w', '--workdir'], ['-T', '-d']],
    run: [['-e', '--env', '-u', '--user', '--entrypoint', '-v', '--volume', '-w'], ['--rm', '-T', '--no-deps', '-d']],
  };
  if (!sub || !(sub in tables)) return problems.push(`${where}: "docker compose ${sub}" is not a subcommand this test knows`);
  const { positional, get } = options(args, ...tables[sub], where, problems);
  for (const s of get('--scale')) serviceNamed(s.split('=')[0]);
  if (sub === 'exec' || sub === 'run' || sub === 'port') {
    const [service, ...inner] = positional;
    if (!service) return problems.push(`${where}: no service given`);
    serviceNamed(service);
    const svc = config.services[service];
    if (!svc) return;
    const mounted = mounts(svc).map((m) => ({ target: m.target, source: m.source }));
    const svcEnv = { ...(svc.environment ?? {}) };
    for (const e of get('-e').concat(get('--env'))) svcEnv[e.split('=')[0]] = e.split('=').slice(1).join('=');
    if (service === 'sluice') {
      if (sub === 'exec') {
        if (inner[0] === 'sluice') checkSluiceArgs(inner.slice(1), mounted, svcEnv, problems, where);
        else if (inner[0] === 'node') {
          if (!imageHas(inner[1])) problems.push(`${where}: ${inner[1]} is not in the image`);
        } else problems.push(`${where}: exec of "${inner[0]}" is not something this test knows to check`);
      }
      if (sub === 'run') checkSluiceArgs(inner, mounted, svcEnv, problems, where);
    }
    return;
  }
  for (const s of positional) serviceNamed(s);
}

function checkDocker(words: string[], env: Record<string, string>, state: State, problems: string[], where: string) {
  const [group, sub, ...args] = words;
  const stackService = (name: string | undefined) => {
    if (!name) return state.loose || problems.push(`${where}: no service given`);
    const [stack, ...svc] = name.split('_');
    const deployed = state.stacks.get(stack);
    if (state.loose && !deployed) return;
    if (!deployed) return problems.push(`${where}: stack "${stack}" is not deployed before this command`);
    if (!deployed.services.includes(svc.join('_'))) problems.push(`${where}: stack "${stack}" has no service "${svc.join('_')}"`);
  };
  switch (group) {
    case 'compose':
      return checkCompose(words.slice(1), env, state, problems, where);
    case 'build': {
      const { positional, get } = options([sub, ...args], ['-t', '--tag', '--build-arg', '-f', '--file'], ['--pull', '--no-cache'], where, problems);
      const context = pwdPath(positional[0] ?? '');
      if (!context || !existsSync(join(context, 'Dockerfile'))) problems.push(`${where}: build context ${positional[0]} has no Dockerfile`);
      for (const a of get('--build-arg')) {
        const name = a.split('=')[0];
        if (!(name in runtime.args) && !(name in dockerfile.globalArgs)) problems.push(`${where}: the Dockerfile has no ARG ${name}`);
      }
      for (const t of get('-t').concat(get('--tag'))) state.built.add(t);
      return;
    }
    case 'push':
      if (!state.built.has(sub)) problems.push(`${where}: ${sub} is pushed before it is built`);
      state.pushed.add(sub);
      return;
    case 'run': {
      const { positional, get } = options([sub, ...args], ['-v', '--volume', '-e', '--env', '-u', '--user', '--entrypoint', '--network', '--add-host', '-p'], ['--rm', '-it', '-i', '-t', '-d', '--read-only'], where, problems);
      const [image, ...inner] = positional;
      if (!state.loose && !state.built.has(image)) problems.push(`${where}: image ${image} is not built before this command`);
      const mounted: Mounted[] = [];
      for (const v of get('-v').concat(get('--volume'))) {
        const [src, target] = v.split(':');
        const host = pwdPath(src);
        if (!host || !existsSync(host)) problems.push(`${where}: volume source ${src} does not exist in the repository`);
        else mounted.push({ target, source: host });
      }
      const runEnv: Record<string, string> = {};
      // `-e NAME` without a value passes NAME on from the caller's environment.
      for (const e of get('-e').concat(get('--env'))) {
        if (e.includes('=')) runEnv[e.split('=')[0]] = e.split('=').slice(1).join('=');
        else if (e in env) runEnv[e] = env[e];
      }
      checkSluiceArgs(inner, mounted, runEnv, problems, where);
      return;
    }
    case 'stack': {
      if (sub === 'deploy' || sub === 'config') {
        const { positional, get } = options(args, ['-c', '--compose-file'], ['--prune', '--with-registry-auth'], where, problems);
        const file = get('-c').concat(get('--compose-file'))[0];
        if (!file && state.loose) return; // "`docker stack deploy`" in a sentence
        if (!file || !existsSync(join(ROOT, file))) return problems.push(`${where}: no stack file ${file}`);
        if (sub === 'config' || state.loose) return;
        const name = positional[0];
        const r = dockerStackConfig(join(ROOT, file), env);
        if (r.status !== 0) return problems.push(`${where}: docker stack config fails with the variables exported so far: ${r.stderr.trim()}`);
        const config = composeServices(join(ROOT, file), env);
        const image = config.services.sluice?.image;
        if (!state.pushed.has(image)) problems.push(`${where}: the image ${image} is not pushed before the deploy`);
        const secrets = Object.values<any>(config.secrets ?? {}).filter((s) => s.external).map((s) => s.name);
        for (const s of secrets) if (!state.secrets.has(s)) problems.push(`${where}: secret ${s} is not created before the deploy`);
        const configs = Object.values<any>(config.configs ?? {}).map((c) => c.name);
        for (const c of configs) state.configsEverDeployed.add(c);
        state.stacks.set(name, { services: Object.keys(config.services), secrets, configs });
        state.counts.set('docker stack deploy', (state.counts.get('docker stack deploy') ?? 0) + 1);
        return;
      }
      if (['services', 'ps', 'rm'].includes(sub)) {
        if (!state.loose && !state.stacks.has(args[0])) problems.push(`${where}: stack ${args[0]} is not deployed`);
        return;
      }
      return problems.push(`${where}: "docker stack ${sub}" is not a subcommand this test knows`);
    }
    case 'service': {
      const { positional } = options(args, ['--image'], ['-f', '--follow', '--rollback', '--detach', '-d'], where, problems);
      if (sub === 'ls') return;
      if (sub === 'scale') positional.forEach((p) => stackService(p.split('=')[0]));
      else if (['ps', 'logs', 'rollback', 'inspect', 'update'].includes(sub)) stackService(positional[0]);
      else problems.push(`${where}: "docker service ${sub}" is not a subcommand this test knows`);
      return;
    }
    case 'secret':
      if (sub === 'create') state.secrets.add(args[0]);
      else if (sub === 'rm') {
        if (!state.secrets.has(args[0])) problems.push(`${where}: secret ${args[0]} was never created`);
        for (const [name, s] of state.stacks) if (s.secrets.includes(args[0])) problems.push(`${where}: stack ${name} still uses secret ${args[0]}`);
      } else if (sub !== 'ls') problems.push(`${where}: "docker secret ${sub}" is not known to this test`);
      return;
    case 'config':
      if (sub === 'rm') {
        if (!state.configsEverDeployed.has(args[0])) problems.push(`${where}: config ${args[0]} was never deployed`);
        for (const [name, s] of state.stacks) if (s.configs.includes(args[0])) problems.push(`${where}: stack ${name} still uses config ${args[0]}`);
      } else if (sub !== 'ls') problems.push(`${where}: "docker config ${sub}" is not known to this test`);
      return;
    case 'node': {
      const { positional, get } = options(args, ['--label-add', '--label-rm'], [], where, problems);
      if (sub !== 'update' || positional.length !== 1) problems.push(`${where}: expected docker node update --label-add key=value NODE`);
      const stackText = readFileSync(join(ROOT, 'deploy', 'swarm', 'stack.yml'), 'utf8');
      for (const l of get('--label-add')) {
        const key = l.split('=')[0];
        if (!stackText.includes(`node.labels.${key}`)) problems.push(`${where}: the stack's placement does not use the node label ${key}`);
      }
      return;
    }
    default:
      problems.push(`${where}: "docker ${group}" is not a command this test knows`);
  }
}

function checkCurl(words: string[], problems: string[], where: string) {
  const url = words.find((w) => /^https?:\/\//.test(w));
  if (!url) return problems.push(`${where}: curl without a URL`);
  const u = new URL(url.replace('*', 'STAR'));
  if (u.hostname !== 'localhost') return;
  const compose = composeServices(COMPOSE_FILE, {});
  const ports = Object.values<any>(compose.services).flatMap((s) => publishedPorts(s));
  if (!ports.includes(Number(u.port))) problems.push(`${where}: port ${u.port} is not published by docker-compose.yml`);
  const pattern = /^\/([^/_][^/]*)/.exec(u.pathname)?.[1]?.replace('STAR', '*');
  if (pattern && u.port === '9200') {
    const sluice = compose.services.sluice;
    const dir = mounts(sluice).find((m) => m.target === '/etc/sluice/pipelines')!.source;
    const indices = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => (loadPipeline(join(dir, f), components, sluice.environment).output.config as { index: string }).index);
    const prefix = pattern.replace(/\*$/, '');
    if (!indices.some((i) => i.startsWith(prefix))) problems.push(`${where}: no pipeline writes to ${pattern} (${indices.join(', ')})`);
  }
}

function walk(commands: { line: number; words: string[] }[], state: State): string[] {
  const problems: string[] = [];
  for (const { line, words: all } of commands) {
    const where = `docs/deployment.md:${line}: ${all.join(' ')}`;
    const env = { ...state.env };
    let words = all;
    while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
      const [k, ...v] = words[0].split('=');
      env[k] = v.join('=');
      words = words.slice(1);
    }
    const [cmd, ...args] = words;
    if (!cmd) {
      Object.assign(state.env, env);
      continue;
    }
    state.counts.set(`${cmd} ${args[0] ?? ''}`.trim(), (state.counts.get(`${cmd} ${args[0] ?? ''}`.trim()) ?? 0) + 1);
    if (cmd === 'export') {
      for (const a of args) state.env[a.split('=')[0]] = a.split('=').slice(1).join('=');
    } else if (cmd === 'docker') checkDocker(args, env, state, problems, where);
    else if (cmd === 'docker-compose') checkCompose(args, env, state, problems, where);
    else if (cmd === 'sluice' || cmd === './bin/sluice') checkSluiceArgs(args, [], undefined, problems, where);
    else if (cmd === 'curl') checkCurl(args, problems, where);
    else if (!['printf', 'echo', 'open', 'read'].includes(cmd)) problems.push(`${where}: "${cmd}" is not a command this test knows`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

beforeAll(() => {
  ensureDebianPackages('docker-compose:docker-compose', 'docker:docker.io');
}, 300_000);

describe('docs/deployment.md', () => {
  const shellBlocks = codeBlocks().filter((b) => b.lang === 'sh');

  it('has its commands in sh code blocks, and only those languages in code blocks', () => {
    expect(shellBlocks.length).toBeGreaterThan(5);
    expect([...new Set(codeBlocks().map((b) => b.lang))].sort()).toEqual(['properties', 'sh', 'yaml']);
  });

  it('walks through commands that the compose file, the stack file, the Dockerfile and sluice support', () => {
    const state = newState(false);
    const problems = walk(shellBlocks.flatMap(blockCommands), state);
    expect(problems).toEqual([]);
    // The walk-through covers what it promises.
    for (const c of ['docker compose', 'docker build', 'docker push', 'docker secret', 'docker stack', 'docker service', 'curl -s']) {
      expect([...state.counts.keys()].some((k) => k.startsWith(c)), c).toBe(true);
    }
    expect(state.counts.get('docker stack deploy')).toBeGreaterThanOrEqual(3);
  });

  it('catches commands the files do not support (the checks are not vacuous)', () => {
    const bad = [
      'docker compose logs -f sluicee',
      'docker compose run --rm sluice frobnicate',
      'docker compose exec sluice sluice validate /etc/sluice/nowhere',
      'docker compose up -d --scale slice=3',
      'docker compose --wat up',
      'docker run --rm -v "$PWD/nowhere:/etc/sluice/pipelines:ro" sluice:0.1.0 validate',
      'docker run --rm -v "$PWD/deploy/pipelines:/etc/sluice/pipelines:ro" -e ES_URL=http://e:9200 sluice:0.1.0 validate',
      'docker push never-built:1',
      'docker stack deploy -c deploy/swarm/stack.yml sluice',
      'docker service ps sluice_sluice',
      'docker node update --label-add rack=1 node-1',
      'docker config rm sluice-web-access-9',
      "curl -s 'http://localhost:9201/web-access-*/_count'",
      "curl -s 'http://localhost:9200/nginx-*/_count'",
    ];
    const state = newState(false);
    state.built.add('sluice:0.1.0');
    for (const b of bad) {
      const problems = walk(shellCommands(b).map((words) => ({ line: 1, words })), state);
      expect(problems.length, b).toBeGreaterThan(0);
    }
  });

  it('names in its text only docker commands, sluice verbs and files that exist', () => {
    const spans = [...docs.replace(/^( *)```[\s\S]*?^\1```/gm, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
    const commands = spans
      .filter((s) => /^(docker (compose|stack|service) |sluice [a-z])/.test(s))
      .flatMap((s) => shellCommands(s.replace(/…/g, '')).map((words) => ({ line: 0, words })));
    expect(commands.length).toBeGreaterThan(3);
    expect(walk(commands, newState(true))).toEqual([]);
    for (const m of docs.matchAll(/\]\((\.\.?\/[^)#\s]+)(?:#[^)]*)?\)/g)) {
      expect(existsSync(resolve(dirname(DOCS), m[1])), m[1]).toBe(true);
    }
    for (const m of docs.matchAll(/\]\(#([^)]+)\)/g)) {
      const headings = [...docs.matchAll(/^#+ (.+)$/gm)].map((h) => h[1].toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-'));
      expect(headings, `#${m[1]}`).toContain(m[1]);
    }
  });

  it('names only SLUICE_* variables that the image, the compose file or the stack file know', () => {
    const known = new Set([...variablesImageReads()].filter((v) => v.startsWith('SLUICE_')));
    const files = [COMPOSE_FILE, join(ROOT, 'deploy', 'swarm', 'stack.yml'), DOCKERFILE].map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const m of files.matchAll(/\bSLUICE_[A-Z_]+\b/g)) known.add(m[0]);
    const named = new Set([...docs.matchAll(/\bSLUICE_[A-Z_]+\b/g)].map((m) => m[0]));
    expect([...named].filter((v) => !known.has(v))).toEqual([]);
  });

  it('documents the scaling rule, the update order and the health-check choice that the files implement', () => {
    expect(docs).toMatch(/partitions ≥ replicas × workers/);
    expect(docs).toMatch(/`order: start-first`/);
    expect(readFileSync(join(ROOT, 'deploy', 'swarm', 'stack.yml'), 'utf8')).toMatch(/order: start-first/);
    expect(docs).toMatch(/never asks `\/readyz`/);
    expect(docs).toMatch(/extra_hosts/);
    expect(docs).toMatch(/advertised\.listeners/);
  });

  it('states the defaults the files really have', () => {
    const compose = composeConfig(COMPOSE_FILE);
    const setup = [compose.services['kafka-setup'].command].flat().join(' ');
    const partitions = /--partitions (\d+)/.exec(setup)![1];
    expect(docs).toContain(`creates the \`web-access\` topic with ${partitions} partitions`);
    expect(docs).toContain(`two replicas`);
    expect(compose.services.sluice.deploy.replicas).toBe(2);
    expect(docs).toContain(`\`SLUICE_REPLICAS\` (default ${/SLUICE_REPLICAS:-(\d+)/.exec(readFileSync(join(ROOT, 'deploy', 'swarm', 'stack.yml'), 'utf8'))![1]})`);
    expect(docs).toContain(`runs as \`${runtime.args.SLUICE_UID}:${runtime.args.SLUICE_GID}\``);
    const pipeline = loadPipeline(join(ROOT, 'deploy', 'pipelines', 'web-access.json'), components, { KAFKA_BROKERS: 'k:9092', ES_URL: 'http://e:9200' });
    const es = pipeline.output.config as { batchMaxDocs: number; concurrency: number; batchMaxWaitMs: number };
    expect(docs).toContain(`| \`batchMaxDocs\` | ${es.batchMaxDocs} |`);
    expect(docs).toContain(`| \`concurrency\` | ${es.concurrency} |`);
    expect(docs).toContain(`| \`batchMaxWaitMs\` | ${es.batchMaxWaitMs} |`);
  });
});
