/**
 * dns: reverse (address → name) and forward (name → address) lookups, as Logstash's dns
 * filter, without ever stalling a partition.
 *
 * Filters run synchronously (runtime/processor.ts), and a lookup is not. So the filter
 * answers from what it knows (hosts files, its caches, answers that just arrived); for
 * anything else it starts the lookups of the event at once and throws AwaitBeforeRetry:
 * the runtime sets the record aside (other records go on), waits for the lookups, and
 * processes the record again, when every answer is known. A lookup always ends, by answer,
 * failure or its own timer (`timeout` × tries), and at most `maxPending` run at once; beyond
 * that an event is treated as timed out rather than queued.
 *
 * Lookups go through Node's resolver (c-ares): the servers of /etc/resolv.conf, or
 * `nameserver`. It does not read /etc/hosts; `hostsfile` names hosts files to consult first.
 */
import { readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { resolve as resolvePath } from 'node:path';
import { Type } from '@sinclair/typebox';
import ipaddr from 'ipaddr.js';
import { AwaitBeforeRetry, type Filter, type FilterSpec } from '../../core/component.js';
import { addTag, getField, parsePath, setField, type Event, type FieldPath } from '../../core/event.js';
import { LruCache } from '../../core/lru.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';

export const dnsConfig = Type.Object(
  {
    reverse: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Fields holding an IP address to replace or append with its host name (PTR).' }),
    resolve: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Fields holding a host name to replace or append with its address (A, else AAAA).' }),
    action: Type.Union([Type.Literal('append'), Type.Literal('replace')], {
      default: 'append',
      description: '`append`: the field becomes `[original, answer]`; `replace`: the answer replaces the value.',
    }),
    nameserver: Type.Optional(
      Type.Object(
        {
          address: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Servers as `ip` or `ip:port` (`[v6]:port`).' }),
          search: Type.Optional(Type.Array(Type.String(), { description: 'Domains tried after a name with fewer than `ndots` dots (as resolv.conf).' })),
          ndots: Type.Integer({ minimum: 0, default: 1, description: 'Dots a name needs to be tried as is first.' }),
        },
        { additionalProperties: false, description: 'DNS servers to ask instead of those of /etc/resolv.conf.' },
      ),
    ),
    hostsfile: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Hosts files (`/etc/hosts` format) consulted before DNS, read once at start.' })),
    timeout: Type.Number({ exclusiveMinimum: 0, maximum: 60, default: 0.5, description: 'Seconds one try of a lookup may take.' }),
    maxRetries: Type.Integer({ minimum: 0, maximum: 10, default: 2, description: 'Further tries after a timeout.' }),
    hitCacheSize: Type.Integer({ minimum: 0, default: 10_000, description: 'Answers kept (0: none).' }),
    hitCacheTtl: Type.Number({ minimum: 0, default: 60, description: 'Seconds an answer is kept.' }),
    failedCacheSize: Type.Integer({ minimum: 0, default: 10_000, description: 'Failures (no such name, no answer, timeout) kept (0: none).' }),
    failedCacheTtl: Type.Number({ minimum: 0, default: 5, description: 'Seconds a failure is kept.' }),
    maxPending: Type.Integer({ minimum: 1, default: 1000, description: 'Lookups in flight at most; an event that would need more is treated as timed out.' }),
    tagOnTimeout: Type.Array(Type.String(), { default: ['_dnstimeout'], description: 'Tags added when a lookup timed out.' }),
    ...successActions,
  },
  { additionalProperties: false },
);

/** What a lookup ended with. */
type Answer = { ok: true; value: string } | { ok: false; timeout: boolean };

const NO_ANSWER: Answer = { ok: false, timeout: false };
const TIMED_OUT: Answer = { ok: false, timeout: true };
/** How long an answer that just arrived is kept for the re-run of the records that waited for it. */
const FRESH_MS = 30_000;

function readHosts(file: string, forward: Map<string, string>, reverse: Map<string, string>): void {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [addr, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!addr || names.length === 0 || !ipaddr.isValid(addr)) continue;
    if (!reverse.has(addr)) reverse.set(addr, names[0]);
    for (const n of names) if (!forward.has(n.toLowerCase())) forward.set(n.toLowerCase(), addr);
  }
}

export const dns: FilterSpec<typeof dnsConfig> = {
  kind: 'filter',
  name: 'dns',
  summary: 'Reverse and forward DNS lookups with bounded caches and timeouts that never stall a partition',
  config: dnsConfig,
  create(config, ctx): Filter {
    if (config.reverse.length === 0 && config.resolve.length === 0) throw new Error('give fields to look up in reverse and/or resolve');
    const tries = config.maxRetries + 1;
    const resolver = new Resolver({ timeout: Math.round(config.timeout * 1000), tries });
    if (config.nameserver) {
      try {
        resolver.setServers(config.nameserver.address);
      } catch (err) {
        throw new Error(`nameserver.address: ${(err as Error).message}`);
      }
    }
    const search = config.nameserver?.search ?? [];
    const ndots = config.nameserver?.ndots ?? 1;
    const hostsForward = new Map<string, string>();
    const hostsReverse = new Map<string, string>();
    for (const f of config.hostsfile ?? []) readHosts(resolvePath(ctx.baseDir, f), hostsForward, hostsReverse);

    const hits = config.hitCacheSize > 0 ? new LruCache<string, { answer: Answer; until: number }>(config.hitCacheSize) : undefined;
    const failures = config.failedCacheSize > 0 ? new LruCache<string, { answer: Answer; until: number }>(config.failedCacheSize) : undefined;
    const fresh = new Map<string, { answer: Answer; until: number }>();
    const inFlight = new Map<string, Promise<void>>();
    const maxFresh = config.maxPending * 10;
    const overallMs = config.timeout * 1000 * tries + 250;

    const known = (key: string): Answer | undefined => {
      const now = Date.now();
      for (const store of [fresh, hits, failures]) {
        const entry = store?.get(key);
        if (entry && entry.until > now) return entry.answer;
      }
      return undefined;
    };
    const remember = (key: string, answer: Answer) => {
      const now = Date.now();
      fresh.set(key, { answer, until: now + FRESH_MS });
      // Oldest first: the map is bounded whatever happens to the records that waited.
      for (const [k, v] of fresh) {
        if (fresh.size <= maxFresh && v.until > now) break;
        fresh.delete(k);
      }
      if (answer.ok) hits?.set(key, { answer, until: now + config.hitCacheTtl * 1000 });
      else failures?.set(key, { answer, until: now + config.failedCacheTtl * 1000 });
    };

    const lookup = async (kind: 'reverse' | 'resolve', value: string): Promise<Answer> => {
      try {
        if (kind === 'reverse') {
          const names = await resolver.reverse(value);
          return names.length ? { ok: true, value: names[0] } : NO_ANSWER;
        }
        const candidates = value.split('.').length - 1 >= ndots || search.length === 0 ? [value, ...search.map((d) => `${value}.${d}`)] : [...search.map((d) => `${value}.${d}`), value];
        for (const name of candidates) {
          try {
            const v4 = await resolver.resolve4(name);
            if (v4.length) return { ok: true, value: v4[0] };
          } catch (err) {
            if ((err as { code?: string }).code === 'ETIMEOUT') return TIMED_OUT;
            if ((err as { code?: string }).code !== 'ENODATA') continue;
          }
          try {
            const v6 = await resolver.resolve6(name);
            if (v6.length) return { ok: true, value: v6[0] };
          } catch (err) {
            if ((err as { code?: string }).code === 'ETIMEOUT') return TIMED_OUT;
          }
        }
        return NO_ANSWER;
      } catch (err) {
        return (err as { code?: string }).code === 'ETIMEOUT' ? TIMED_OUT : NO_ANSWER;
      }
    };
    /** Starts (or joins) the lookup of `key`; the promise settles when its answer is remembered. */
    const start = (key: string, kind: 'reverse' | 'resolve', value: string): Promise<void> | undefined => {
      const running = inFlight.get(key);
      if (running) return running;
      if (inFlight.size >= config.maxPending) return undefined;
      let timer: NodeJS.Timeout | undefined;
      const bounded = Promise.race([lookup(kind, value), new Promise<Answer>((res) => (timer = setTimeout(() => res(TIMED_OUT), overallMs)))]);
      const p = bounded.then((answer) => {
        clearTimeout(timer);
        remember(key, answer);
        inFlight.delete(key);
      });
      inFlight.set(key, p);
      return p;
    };

    const fields = [
      ...config.reverse.map((f) => ({ kind: 'reverse' as const, path: parsePath(f) })),
      ...config.resolve.map((f) => ({ kind: 'resolve' as const, path: parsePath(f) })),
    ];
    const replace = config.action === 'replace';
    const timeoutTags = config.tagOnTimeout;
    const onSuccess = compileSuccessActions(config);

    const answerFor = (kind: 'reverse' | 'resolve', value: string): { key: string; answer?: Answer } | undefined => {
      if (kind === 'reverse') {
        if (!ipaddr.isValid(value)) return undefined; // not an address: nothing to look up (as Logstash)
        const h = hostsReverse.get(value);
        const key = `r:${value}`;
        return { key, answer: h !== undefined ? { ok: true, value: h } : known(key) };
      }
      const name = value.replace(/\.$/, '').toLowerCase();
      if (name === '') return undefined;
      const h = hostsForward.get(name);
      const key = `f:${name}`;
      return { key, answer: h !== undefined ? { ok: true, value: h } : known(key) };
    };

    return {
      process(event: Event) {
        const work: { path: FieldPath; value: string; answer: Answer }[] = [];
        const waits: Promise<void>[] = [];
        let overflow = false;
        for (const { kind, path } of fields) {
          const value = getField(event, path);
          if (typeof value !== 'string') continue;
          const found = answerFor(kind, value);
          if (!found) continue;
          if (found.answer) {
            work.push({ path, value, answer: found.answer });
            continue;
          }
          const p = start(found.key, kind, kind === 'reverse' ? value : value.replace(/\.$/, ''));
          if (p) waits.push(p);
          else {
            overflow = true;
            work.push({ path, value, answer: TIMED_OUT });
          }
        }
        if (waits.length) throw new AwaitBeforeRetry(Promise.all(waits));
        let timedOut = overflow;
        let changed = false;
        for (const { path, value, answer } of work) {
          if (!answer.ok) {
            if (answer.timeout) timedOut = true;
            continue;
          }
          setField(event, path, replace ? answer.value : [value, answer.value]);
          changed = true;
        }
        if (timedOut) for (const t of timeoutTags) addTag(event, t);
        if (changed) onSuccess(event);
      },
      close() {
        fresh.clear();
        hits?.clear();
        failures?.clear();
      },
    };
  },
};
