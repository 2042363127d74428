/**
 * Every file `sluice convert` writes validates as written, also in an environment where
 * none of the variables it reads is set (a fresh machine, a CI job): a Logstash `${VAR}`
 * without a default is written as `${VAR:-default}`, with a default the option accepts
 * (empty where an empty string is valid, else a value of the option's kind: an address, a
 * topic, `unset` for a credential). The variable keeps its name, so a value set in the
 * environment still wins; each one is a note in the report, at its first use in the
 * Logstash files.
 */
import type { Position, Section, Statement, ValueNode } from './ast.js';
import type { Json } from './input-kafka.js';
import type { Report } from './report.js';

const WITHOUT_DEFAULT = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Where each variable read without a default is first used in the files (option values). */
export function firstUsesWithoutDefault(sections: Section[]): Map<string, Position> {
  const uses = new Map<string, Position>();
  const value = (v: ValueNode): void => {
    if (v.kind === 'string' || v.kind === 'bareword') {
      for (const m of v.value.matchAll(WITHOUT_DEFAULT)) if (!uses.has(m[1])) uses.set(m[1], v.pos);
    } else if (v.kind === 'array') v.items.forEach(value);
    else if (v.kind === 'hash') v.entries.forEach((e) => value(e.value));
    else if (v.kind === 'plugin') v.attributes.forEach((a) => value(a.value));
  };
  const statement = (s: Statement): void => {
    if (s.kind === 'plugin') s.attributes.forEach((a) => value(a.value));
    else s.clauses.forEach((c) => c.body.forEach(statement));
  };
  for (const s of sections) s.body.forEach(statement);
  return uses;
}

/** Options that must not be empty and hold a secret: a default that says what is missing (the server then refuses it with an authentication error). */
const CREDENTIALS = new Set(['username', 'password', 'apiKey', 'bearer', 'passphrase']);

/**
 * The default for a placeholder in the value of `key`: the empty string where the option
 * accepts it; otherwise an address where sluice needs one (the whole value, or its host or
 * port part), Logstash's own defaults for the kafka topics and group and the index, and
 * `unset` for a credential.
 */
export function envDefault(key: string, text: string, at: number, length: number): string {
  const whole = at === 0 && length === text.length;
  const afterColon = text[at - 1] === ':' && !text.slice(0, at).endsWith('//');
  switch (key) {
    case 'brokers':
      return whole ? 'localhost:9092' : afterColon ? '9092' : 'localhost';
    case 'nodes':
      return whole ? 'http://localhost:9200' : afterColon ? '9200' : 'localhost';
    case 'topics':
    case 'topic':
    case 'groupId':
    case 'index':
      return whole ? 'logstash' : '';
    default:
      return whole && CREDENTIALS.has(key) ? 'unset' : '';
  }
}

/**
 * The pipeline with a default on every `${VAR}` that had none, each noted in the report
 * (once per variable and default) at its first use, or at `fallback` when the variable
 * came from elsewhere (a flag).
 */
export function withEnvDefaults(pipeline: Json, uses: Map<string, Position>, fallback: Position, report: Report): Json {
  const noted = new Set<string>();
  const visit = (value: unknown, key: string): unknown => {
    if (typeof value === 'string') {
      return value.replace(WITHOUT_DEFAULT, (match: string, name: string, at: number) => {
        const written = `\${${name}:-${envDefault(key, value, at, match.length)}}`;
        if (!noted.has(written)) {
          noted.add(written);
          report.note(uses.get(name) ?? fallback, `${match} had no default; written as ${written}`, '');
        }
        return written;
      });
    }
    if (Array.isArray(value)) return value.map((v) => visit(v, key));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v, k)]));
    return value;
  };
  return visit(pipeline, '') as Json;
}
