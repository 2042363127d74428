/**
 * Secrets: which config values are secret, and keeping them out of everything sluice prints.
 *
 * A schema property is secret when its schema carries `sensitive: true` (use `secret()` or
 * `Type.String({ sensitive: true })`). When a pipeline file is loaded, every value found at a secret
 * property, every password in a URL's userinfo and every value read through a `VAR_FILE`
 * file is registered here; `scrub()` then replaces each registered value (and its base64 /
 * URL-encoded / `user:password` forms) in any text by `***`, and strips passwords from URLs.
 *
 * `scrub()` is applied to every log line (cli/logger.ts), to what `run`, `validate`,
 * `doctor` and `replay` write to stdout and stderr (installOutputScrubbing), and to the
 * /metrics and /readyz bodies (observe/server.ts). Redaction at the source comes first:
 * validation errors never quote a secret value, URLs lose their userinfo before a client
 * sees them; the scrubbing is the net below that.
 */
import { Type, type StringOptions, type TSchema } from '@sinclair/typebox';

/** A secret string property: never echoed in errors, logs, doctor output or metrics. */
export function secret(options: StringOptions = {}) {
  return Type.String({ minLength: 1, ...options, sensitive: true });
}

/** True for a secret property (`sensitive: true`, or `'pem'` for a private key given as PEM or file). */
export function isSensitive(schema: unknown): boolean {
  const mark = typeof schema === 'object' && schema !== null ? (schema as { sensitive?: unknown }).sensitive : undefined;
  return mark === true || mark === 'pem';
}

/**
 * An object schema with a secret property of its own (`sasl`, `auth`, `tls`): a non-object
 * found in its place (`"sasl": "user:password"`) is not quoted either.
 */
export function holdsSecrets(schema: unknown): boolean {
  const props = typeof schema === 'object' && schema !== null ? (schema as { properties?: Record<string, unknown> }).properties : undefined;
  return props !== undefined && Object.values(props).some((p) => isSensitive(p));
}

/** Values shorter than this are not scrubbed from free text (they would mangle it); they are still never echoed by validation. */
export const MIN_SCRUB_LENGTH = 4;

const registry = new Set<string>();
let ordered: string[] = [];

export function registerSecret(value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_SCRUB_LENGTH) return;
  const forms = [value, encodeURIComponent(value), Buffer.from(value, 'utf8').toString('base64')];
  let added = false;
  for (const f of forms) {
    if (f.length >= MIN_SCRUB_LENGTH && !registry.has(f)) {
      registry.add(f);
      added = true;
    }
  }
  if (added) ordered = [...registry].sort((a, b) => b.length - a.length);
}

/** A username and password travel together as `user:password` (Basic auth, URLs): register that form too. */
export function registerCredentials(username: string | undefined, password: string | undefined): void {
  registerSecret(password);
  if (username !== undefined && password !== undefined && password !== '') registerSecret(`${username}:${password}`);
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  registry.clear();
  ordered = [];
}

export const REDACTED = '***';

/** `scheme://user:password@host` -> `scheme://user:***@host` (any URL in free text). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]+)@/gi;

/** Replaces every registered secret in `text` and the password of every URL in it. */
export function scrub(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join(REDACTED);
  if (out.includes('@')) out = out.replace(URL_USERINFO, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`);
  return out;
}

/** A URL without its userinfo: what may appear in messages. */
export function safeUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return scrub(String(url));
  }
}

/**
 * Walks `value` along `schema` (TypeBox/JSON Schema: properties, items, anyOf/oneOf,
 * additionalProperties) and registers every string under a sensitive schema node, plus the
 * password of any string that is a URL with userinfo. `sensitive: 'pem'` (private keys)
 * registers only inline PEM text, not a file path (the file's content is registered when read).
 */
export function registerSecretsIn(schema: TSchema | undefined, value: unknown): void {
  if (typeof value === 'string') {
    const mark = (schema as { sensitive?: unknown } | undefined)?.sensitive;
    if (mark === true || (mark === 'pem' && value.includes('-----BEGIN '))) registerSecret(value);
    registerUrlPassword(value);
    return;
  }
  if (Array.isArray(value)) {
    const items = (schema as { items?: TSchema } | undefined)?.items;
    for (const v of value) registerSecretsIn(items, v);
    return;
  }
  if (typeof value === 'object' && value !== null) {
    const s = schema as { properties?: Record<string, TSchema>; additionalProperties?: unknown } | undefined;
    const branches = (schema as { anyOf?: TSchema[]; oneOf?: TSchema[] } | undefined)?.anyOf ?? (schema as { oneOf?: TSchema[] } | undefined)?.oneOf ?? [];
    for (const [k, v] of Object.entries(value)) {
      let child: TSchema | undefined = s?.properties && Object.prototype.hasOwnProperty.call(s.properties, k) ? s.properties[k] : undefined;
      for (const b of branches) child ??= (b as { properties?: Record<string, TSchema> }).properties?.[k];
      if (!child && typeof s?.additionalProperties === 'object') child = s.additionalProperties as TSchema;
      registerSecretsIn(child, v);
    }
  }
}

function registerUrlPassword(s: string): void {
  if (!s.includes('@') || !s.includes('://')) return;
  for (const part of s.split(',')) {
    try {
      const u = new URL(part.trim());
      if (u.password) registerCredentials(decodeURIComponent(u.username), decodeURIComponent(u.password));
    } catch {
      /* not a URL */
    }
  }
}

let installed = false;

/**
 * Scrubs everything written to stdout and stderr from now on. For the verbs whose output is
 * diagnostics (`run`, `validate`, `doctor`, `replay`), not for `process`/`test`, whose output
 * is the user's data.
 */
export function installOutputScrubbing(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') return write(scrub(chunk), ...rest);
      if (Buffer.isBuffer(chunk) && ordered.length) return write(scrub(chunk.toString('utf8')), ...rest);
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}
