/**
 * cidr: is an address in one of these networks? Logstash's cidr filter: when any address
 * (a field, or a `%{field}` template) lies in any network (IPv4 or IPv6 CIDR, or a single
 * address), the success actions run (`addTag`, `addField`, ...); otherwise nothing changes.
 * Networks come from the config, from a file (`networkPath`, re-read when it changes), or
 * from templates rendered per event. IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) are
 * matched as the IPv4 address they carry.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import ipaddr from 'ipaddr.js';
import type { Filter, FilterSpec } from '../../core/component.js';
import { getField, parsePath, type Event } from '../../core/event.js';
import { LruCache } from '../../core/lru.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';
import { compileTemplate, type Template } from '../../core/template.js';

export const cidrConfig = Type.Object(
  {
    address: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Addresses to test: field names (`client.ip`, `[client][ip]`; an array field tests each element) or templates (`%{clientip}`).',
    }),
    network: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Networks in CIDR notation (`10.0.0.0/8`, `fe80::/10`) or single addresses; templates (`%{[@metadata][net]}`) are rendered per event.',
    }),
    networkPath: Type.Optional(Type.String({ minLength: 1, description: 'File of networks, one per `separator` (relative to the pipeline file); `#` starts a comment. Added to `network`.' })),
    separator: Type.String({ default: '\n', minLength: 1, description: 'What separates the networks in `networkPath`.' }),
    refreshInterval: Type.Integer({ minimum: 0, default: 600, description: 'Seconds between checks of `networkPath` for changes (0: never re-read).' }),
    ...successActions,
  },
  { additionalProperties: false },
);

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseNetwork(text: string): Range {
  const t = text.trim();
  if (t.includes('/')) {
    const [addr, bits] = ipaddr.parseCIDR(t);
    return [normalize(addr), addr.kind() === 'ipv6' && normalize(addr).kind() === 'ipv4' ? Math.max(0, bits - 96) : bits];
  }
  const addr = normalize(ipaddr.parse(t));
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

function normalize(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  // ipaddr.js accepts shorthand IPv4 ("10.1", "0x0a.1"); addresses in logs are four decimal parts.
  if (!ipaddr.IPv6.isValid(text) && !ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  try {
    return normalize(ipaddr.parse(text));
  } catch {
    return undefined;
  }
}

function inAny(addr: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly Range[]): boolean {
  const kind = addr.kind();
  for (const r of ranges) if (r[0].kind() === kind && addr.match(r as never)) return true;
  return false;
}

function readNetworkFile(file: string, separator: string): Range[] {
  const ranges: Range[] = [];
  readFileSync(file, 'utf8')
    .split(separator)
    .forEach((line, i) => {
      const t = line.replace(/#.*/, '').trim();
      if (!t) return;
      try {
        ranges.push(parseNetwork(t));
      } catch {
        throw new Error(`${file}: entry ${i + 1} "${t.slice(0, 60)}" is not a network`);
      }
    });
  return ranges;
}

export const cidr: FilterSpec<typeof cidrConfig> = {
  kind: 'filter',
  name: 'cidr',
  summary: 'Tag or enrich events whose IP address lies in given networks (IPv4 and IPv6)',
  config: cidrConfig,
  create(config, ctx): Filter {
    const addresses = config.address.map((a) => {
      if (a.includes('%{')) {
        const t = compileTemplate(a);
        return (e: Event): unknown => t.render(e);
      }
      const path = parsePath(a);
      return (e: Event): unknown => getField(e, path);
    });
    const fixed: Range[] = [];
    const templated: Template[] = [];
    for (const n of config.network) {
      if (n.includes('%{')) templated.push(compileTemplate(n));
      else {
        try {
          fixed.push(parseNetwork(n));
        } catch {
          throw new Error(`network "${n}" is not an IPv4 or IPv6 network in CIDR notation`);
        }
      }
    }
    let fromFile: Range[] = [];
    let checkedAt = 0;
    let fileMtime = 0;
    const file = config.networkPath !== undefined ? resolve(ctx.baseDir, config.networkPath) : undefined;
    if (file) {
      fromFile = readNetworkFile(file, config.separator);
      fileMtime = statSync(file).mtimeMs;
      checkedAt = Date.now();
    }
    if (!file && fixed.length === 0 && templated.length === 0) throw new Error('give at least one network (network or networkPath)');
    const refreshMs = config.refreshInterval * 1000;
    const refresh = () => {
      if (!file || refreshMs === 0 || Date.now() - checkedAt < refreshMs) return;
      checkedAt = Date.now();
      try {
        const mtime = statSync(file).mtimeMs;
        if (mtime !== fileMtime) {
          fromFile = readNetworkFile(file, config.separator);
          fileMtime = mtime;
          ctx.logger.info({ file, networks: fromFile.length }, 'cidr: network file re-read');
        }
      } catch (err) {
        // Keep the networks we have: a file being replaced must not make every event miss.
        ctx.logger.warn({ file, err: (err as Error).message }, 'cidr: network file could not be re-read; keeping the previous networks');
      }
    };
    const dynamic = new LruCache<string, Range | null>(1000);
    const rangeOf = (text: string): Range | null => {
      let r = dynamic.get(text);
      if (r === undefined) {
        try {
          r = parseNetwork(text);
        } catch {
          r = null;
        }
        dynamic.set(text, r);
      }
      return r;
    };
    const onMatch = compileSuccessActions(config);

    const matches = (event: Event, value: unknown): boolean => {
      if (Array.isArray(value)) return value.some((v) => matches(event, v));
      if (typeof value !== 'string') return false;
      const addr = parseAddress(value.trim());
      if (!addr) return false;
      if (inAny(addr, fixed) || inAny(addr, fromFile)) return true;
      for (const t of templated) {
        const r = rangeOf(t.render(event));
        if (r && inAny(addr, [r])) return true;
      }
      return false;
    };

    return {
      process(event) {
        refresh();
        for (const a of addresses) {
          if (matches(event, a(event))) {
            onMatch(event);
            return;
          }
        }
      },
    };
  },
};
