/**
 * Shared by the deployment tests (test/deploy): the real validators of the compose and stack
 * files, a Dockerfile reader, the .dockerignore rules, and what environment variables sluice
 * and its image read. No Docker engine is needed for any of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/sluice.js';
import { variablesSluiceReads } from '../helpers/env-usage.js';

export { ROOT };

export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
export const STACK_FILE = join(ROOT, 'deploy', 'swarm', 'stack.yml');
export const DOCKERFILE = join(ROOT, 'Dockerfile');
export const ENTRYPOINT = join(ROOT, 'deploy', 'docker-entrypoint.sh');
export const HEALTHCHECK = join(ROOT, 'deploy', 'healthcheck.mjs');
export const DOCS = join(ROOT, 'docs', 'deployment.md');

/** What `docker stack deploy` needs in its environment; the values of the docs' walk-through. */
export const STACK_ENV = {
  SLUICE_IMAGE: 'registry.example.com/sluice:0.1.0',
  KAFKA_BROKERS: 'kafka-1.example.com:9092,kafka-2.example.com:9092',
  ES_URL: 'https://es-1.example.com:9200,https://es-2.example.com:9200',
};

/** A clean environment for the validators: only what they need plus `vars`, so the caller's shell cannot leak in. */
function toolEnv(vars: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...vars };
}

export function ensureDebianPackages(...pairs: string[]): void {
  execFileSync(join(ROOT, 'scripts', 'ensure-debian-packages.sh'), pairs, { stdio: 'inherit' });
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Debian's docker-compose 1.29: `config` validates a compose file (v2/v3 and the Compose Specification). */
export function dockerCompose(file: string, args: string[], vars: Record<string, string> = {}): ToolResult {
  const r = spawnSync('docker-compose', ['-f', file, ...args], { cwd: ROOT, encoding: 'utf8', env: toolEnv(vars) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `docker stack config`: the very loader of `docker stack deploy`, which needs no engine. */
export function dockerStackConfig(file: string, vars: Record<string, string> = {}): ToolResult {
  const r = spawnSync('docker', ['stack', 'config', '-c', file], { cwd: ROOT, encoding: 'utf8', env: toolEnv(vars) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The compose file as docker-compose resolves it (interpolated, relative paths made absolute). */
export function composeConfig(file: string, vars: Record<string, string> = {}): any {
  const r = dockerCompose(file, ['config'], vars);
  if (r.status !== 0) throw new Error(`docker-compose -f ${file} config failed: ${r.stderr}`);
  return parse(r.stdout);
}

/** "60s", "1m0s", "1m30s", "500ms", "2h" → milliseconds. */
export function durationMs(value: string | number): number {
  if (typeof value === 'number') return value;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g;
  let matched = '';
  for (const m of value.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : m[2] === 'ms' ? n : 0;
    matched += m[0];
  }
  if (matched !== value) throw new Error(`not a duration: ${value}`);
  return total;
}

/** docker-compose 1.x prints volumes in the short form `source:target[:mode]`. */
export function mounts(service: any): { source: string; target: string; readOnly: boolean }[] {
  return (service.volumes ?? []).map((v: any) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: Boolean(v.read_only) };
    const [source, target, mode] = v.split(':');
    return { source, target, readOnly: mode === 'ro' };
  });
}

/** Host ports a compose service publishes (short `"9092:9092"` or long `{ published, target }` form). */
export function publishedPorts(service: any): number[] {
  return (service.ports ?? []).map((p: any) => (typeof p === 'object' ? Number(p.published) : Number(String(p).split(':').at(-2))));
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

export interface Instruction {
  line: number;
  keyword: string;
  /** The instruction's text after the keyword, continuation lines joined. */
  text: string;
  /** `--name=value` flags (COPY --from, --chmod; HEALTHCHECK --interval ...). */
  flags: Record<string, string>;
  /** The remaining words (or the JSON array's items for the exec form). */
  args: string[];
}

export interface Stage {
  name?: string;
  image: string;
  instructions: Instruction[];
  /** ARG defaults declared in this stage. */
  args: Record<string, string>;
}

export interface Dockerfile {
  globalArgs: Record<string, string>;
  stages: Stage[];
  /** `# hadolint ignore=...` pragmas. */
  ignores: string[];
}

function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

export function parseDockerfile(text: string = readFileSync(DOCKERFILE, 'utf8')): Dockerfile {
  const lines = text.split('\n');
  const logical: { line: number; text: string }[] = [];
  const ignores: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const pragma = /^\s*#\s*hadolint\s+ignore=(\S+)/.exec(raw);
    if (pragma) ignores.push(...pragma[1].split(','));
    if (/^\s*(#|$)/.test(raw)) continue;
    const start = i;
    let joined = raw;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(/\\\s*$/, ' ');
      i++;
      if (/^\s*#/.test(lines[i])) continue; // comment lines inside a continuation are skipped
      joined += lines[i];
    }
    logical.push({ line: start + 1, text: joined.trim() });
  }
  const df: Dockerfile = { globalArgs: {}, stages: [], ignores };
  for (const { line, text: t } of logical) {
    const m = /^(\S+)\s*(.*)$/s.exec(t)!;
    const keyword = m[1].toUpperCase();
    let rest = m[2];
    const flags: Record<string, string> = {};
    if (keyword !== 'RUN' && keyword !== 'ENV' && keyword !== 'LABEL') {
      for (;;) {
        const f = /^--([a-z-]+)(?:=(\S+))?\s*/.exec(rest);
        if (!f) break;
        flags[f[1]] = f[2] ?? 'true';
        rest = rest.slice(f[0].length);
      }
    }
    let args: string[];
    if ((keyword === 'ENTRYPOINT' || keyword === 'CMD') && rest.startsWith('[')) args = JSON.parse(rest);
    else if (keyword === 'HEALTHCHECK' && /^CMD\s+\[/.test(rest)) args = ['CMD', ...JSON.parse(rest.replace(/^CMD\s+/, ''))];
    else args = words(rest);
    const ins: Instruction = { line, keyword, text: rest, flags, args };
    if (keyword === 'FROM') {
      const image = substitute(args[0], df.globalArgs);
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      df.stages.push({ name: as >= 0 ? args[as + 1] : undefined, image, instructions: [ins], args: {} });
      continue;
    }
    const stage = df.stages.at(-1);
    if (keyword === 'ARG') {
      const [name, value] = args[0].split('=');
      if (stage) stage.args[name] = value ?? '';
      else df.globalArgs[name] = value ?? '';
    }
    if (!stage) continue;
    stage.instructions.push(ins);
  }
  return df;
}

/** Replaces `${NAME}` / `$NAME` with the given values (ARG defaults, ENV). */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a, b) => vars[a ?? b] ?? whole);
}

export function finalStage(df: Dockerfile): Stage {
  return df.stages.at(-1)!;
}

/** ENV of a stage as `{ NAME: value }` (the `NAME=value ...` form). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const w of words(ins.text)) {
      const eq = w.indexOf('=');
      if (eq > 0) env[w.slice(0, eq)] = w.slice(eq + 1);
    }
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// .dockerignore (the rules of Docker's builder: patterns in order, the last match decides, a
// pattern that matches a directory matches everything below it, `!` re-includes)

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export class DockerIgnore {
  private readonly rules: { negate: boolean; re: RegExp }[];

  constructor(text: string = readFileSync(join(ROOT, '.dockerignore'), 'utf8')) {
    this.rules = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const negate = l.startsWith('!');
        const p = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/$/, '');
        return { negate, re: globToRegExp(p) };
      });
  }

  /** Whether a path of the repository (relative, with `/`) is sent to the builder. */
  includes(rel: string): boolean {
    const parts = rel.split('/');
    let excluded = false;
    for (const rule of this.rules) {
      for (let n = 1; n <= parts.length; n++) {
        if (rule.re.test(parts.slice(0, n).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return !excluded;
  }
}

/** Every file under `rel` (a file or directory of the repository) that the build context holds. */
export function contextFiles(rel: string, ignore = new DockerIgnore()): string[] {
  const abs = join(ROOT, rel);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return ignore.includes(rel) ? [rel] : [];
  return readdirSync(abs).flatMap((name) => contextFiles(posix.join(rel, name), ignore));
}

// ---------------------------------------------------------------------------------------------
// What sluice reads

/** `${NAME}` and `${NAME:-default}` references of a pipeline file; `required`: those without a default. */
export function pipelineVariables(file: string): { all: Set<string>; required: Set<string> } {
  const all = new Set<string>();
  const required = new Set<string>();
  for (const m of readFileSync(file, 'utf8').matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:-)?/g)) {
    all.add(m[1]);
    if (!m[2]) required.add(m[1]);
  }
  return { all, required };
}

/** Upper-case variables the entrypoint script reads (`${SLUICE_PIPELINES:-...}`). */
export function entrypointVariables(): Set<string> {
  return new Set([...readFileSync(ENTRYPOINT, 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
}

/**
 * Variables that a container of the image reads: sluice's own (src and the shipped pipelines,
 * see test/helpers/env-usage.ts), the entrypoint's, and those of the pipeline files given.
 * Any `${VAR}` may also come from `VAR_FILE`.
 */
export function variablesImageReads(pipelineFiles: string[] = []): Set<string> {
  const vars = variablesSluiceReads();
  for (const v of entrypointVariables()) vars.add(v);
  for (const f of pipelineFiles) {
    for (const v of pipelineVariables(f).all) {
      vars.add(v);
      vars.add(`${v}_FILE`);
    }
  }
  return vars;
}

/** The verbs of `sluice` (src/cli/main.ts). */
export function sluiceVerbs(): Set<string> {
  const main = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8');
  return new Set([...main.matchAll(/\.command\(\s*['"]([a-z][a-z-]*)['"]/g)].map((m) => m[1]));
}

/** Options of a verb that take a value (`--shutdown-timeout <ms>`), from src/cli/main.ts. */
export function valueOptionsOf(verb: string): string[] {
  const main = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8');
  const start = main.search(new RegExp(`\\.command\\(\\s*['"]${verb}['"]`));
  if (start < 0) return [];
  const next = main.slice(start + 1).search(/\.command\(/);
  const section = next < 0 ? main.slice(start) : main.slice(start, start + 1 + next);
  const opts = new Set<string>();
  for (const m of section.matchAll(/['"](?:-\w,\s*)?(--[a-z][a-z-]*)\s+[<[][^'"]*['"]/g)) opts.add(m[1]);
  // The shared --log-level option is built by a helper at the top of the file.
  if (/addOption\(logLevel\(\)\)/.test(section) && /--log-level <level>/.test(main)) opts.add('--log-level');
  return [...opts].sort();
}
