/**
 * date: parses a date from a field and stores it (by default as the event's `@timestamp`).
 *
 * Formats are tried in order; the first that matches wins. Each is a Joda/Java-style pattern
 * compiled once at start-up (see src/core/joda.ts for the letters) or one of the special
 * formats `ISO8601`, `UNIX` (seconds, fractions allowed), `UNIX_MS` and `TAI64N`.
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, getField, parsePath, setField, type Event } from '../../core/event.js';
import { compileJodaParser, formatIsoUtc, localeNames, parseIso8601, resolveTimeZone, tryResolveTimeZone, UTC_ZONE, type TimeZone } from '../../core/joda.js';
import { compileTemplate } from '../../core/template.js';

export const dateConfig = Type.Object(
  {
    field: Type.String({ description: 'The field holding the date text (or a number for UNIX / UNIX_MS). An array uses its first element.' }),
    formats: Type.Array(Type.String(), {
      minItems: 1,
      description:
        'Formats tried in order: Joda-style patterns (`dd/MMM/yyyy:HH:mm:ss Z`, `yyyy-MM-dd HH:mm:ss,SSS`, `MMM d HH:mm:ss`; letters y M d D H k h K m s S a E Z ZZ ZZZ X z e, text in single quotes is literal) or the special formats `ISO8601`, `UNIX`, `UNIX_MS`, `TAI64N`. A pattern without a year uses the current year, except that a December date seen in January is given the previous year and a January date seen in December the next one.',
    }),
    timezone: Type.Optional(
      Type.String({
        description:
          'The time zone of dates whose text has no offset or zone: an IANA name (`Europe/Paris`), `UTC` or an offset (`+02:00`); may be a template such as `%{tz}`. Default UTC. Daylight-saving rules apply: an ambiguous time takes the earlier instant, a time skipped by a DST jump is moved forward.',
      }),
    ),
    locale: Type.String({ default: 'en', description: 'Locale of month and weekday names (`en`, `de`, `fr`, … any locale known to Intl). English names are always accepted too.' }),
    target: Type.String({ default: '@timestamp', description: 'Where the parsed date is written, as ISO-8601 UTC with milliseconds (`2015-05-17T10:05:03.000Z`).' }),
    tagOnFailure: Type.Array(Type.String(), { default: ['_dateparsefailure'], description: 'Tags added when no format matches the value.' }),
  },
  { additionalProperties: false },
);

/** Parses a value into epoch ms, or NaN. */
type Parser = (value: string | number, zone: TimeZone) => number;

const MAX_MS = 8.64e15;
const MAX_UNIX_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z
const INT = /^-?\d{1,16}$/;
const DIGITS = /^\d*$/;
const TAI64N = /^@?[0-9a-fA-F]{24}$/;

function parseUnix(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Math.abs(value) > MAX_UNIX_SECONDS) return NaN;
    return Math.round(value * 1000);
  }
  const dot = value.indexOf('.');
  const whole = dot < 0 ? value : value.slice(0, dot);
  if (!INT.test(whole)) return NaN;
  const secs = Number(whole);
  if (Math.abs(secs) > MAX_UNIX_SECONDS) return NaN;
  let ms = secs * 1000;
  if (dot >= 0) {
    const frac = value.slice(dot + 1);
    if (!DIGITS.test(frac)) return NaN;
    const sub = Number((frac + '000').slice(0, 3));
    ms += whole.startsWith('-') ? -sub : sub;
  }
  return ms;
}

function parseUnixMs(value: string | number): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : NaN;
  return INT.test(value) ? Number(value) : NaN;
}

function parseTai64n(value: string | number): number {
  if (typeof value !== 'string' || !TAI64N.test(value)) return NaN;
  const o = value.charCodeAt(0) === 64 ? 1 : 0;
  // 8 bytes of seconds with 2^62 as the epoch (the label bit is masked off, as Logstash does),
  // then 4 bytes of nanoseconds; TAI is 10 s ahead of UTC in this convention.
  const hi = parseInt(value.slice(o, o + 8), 16) & 0x3fffffff;
  const lo = parseInt(value.slice(o + 8, o + 16), 16);
  const nanos = parseInt(value.slice(o + 16, o + 24), 16);
  return (hi * 4294967296 + lo - 10) * 1000 + Math.floor(nanos / 1_000_000);
}

function compileFormat(format: string, locale: string): Parser {
  switch (format.toUpperCase()) {
    case 'ISO8601':
      return (v, zone) => (typeof v === 'string' ? parseIso8601(v, zone) : NaN);
    case 'UNIX':
      return parseUnix;
    case 'UNIX_MS':
      return parseUnixMs;
    case 'TAI64N':
      return parseTai64n;
  }
  let parser;
  try {
    parser = compileJodaParser(format, { locale });
  } catch (err) {
    throw new Error(`date: invalid format "${format}": ${(err as Error).message}`);
  }
  return (v, zone) => parser.parse(typeof v === 'string' ? v : String(v), zone);
}

/** Does the result of this format depend on the text alone (special formats, or a pattern with a year)? */
function hasYear(format: string): boolean {
  if (['ISO8601', 'UNIX', 'UNIX_MS', 'TAI64N'].includes(format.toUpperCase())) return true;
  return /[yYx]/.test(format.replace(/'[^']*'/g, ''));
}

export const date: FilterSpec<typeof dateConfig> = {
  kind: 'filter',
  name: 'date',
  summary: 'Parse a date from a field (Joda patterns, ISO8601, UNIX, UNIX_MS, TAI64N) into @timestamp',
  config: dateConfig,
  create(config): Filter {
    const source = parsePath(config.field);
    const target = parsePath(config.target);
    try {
      localeNames(config.locale);
    } catch (err) {
      throw new Error(`date: ${(err as Error).message}`);
    }
    const parsers = config.formats.map((f) => compileFormat(f, config.locale));
    const tags = config.tagOnFailure;
    let fixedZone: TimeZone = UTC_ZONE;
    let zoneTemplate: ReturnType<typeof compileTemplate> | undefined;
    if (config.timezone !== undefined) {
      const t = compileTemplate(config.timezone);
      if (t.constant) fixedZone = resolveTimeZone(config.timezone);
      else zoneTemplate = t;
    }
    // Log lines come in time order, many in the same second: remember the last text parsed.
    // Only when the result depends on the text alone: a fixed zone, and every pattern has a
    // year (a pattern without one takes the current year, which can change between two calls).
    const cacheable = zoneTemplate === undefined && config.formats.every(hasYear);
    let lastValue: string | number | undefined;
    let lastIso = '';
    const fail = (event: Event) => {
      for (const tag of tags) addTag(event, tag);
    };

    return {
      process(event) {
        let value = getField(event, source);
        if (Array.isArray(value)) value = value[0];
        if (value === undefined || value === null) return;
        if (typeof value !== 'string' && typeof value !== 'number') return fail(event);
        if (cacheable && value === lastValue) {
          setField(event, target, lastIso);
          return;
        }
        let zone = fixedZone;
        if (zoneTemplate) {
          const z = tryResolveTimeZone(zoneTemplate.render(event));
          if (!z) return fail(event);
          zone = z;
        }
        for (let i = 0; i < parsers.length; i++) {
          const ms = parsers[i](value, zone);
          if (ms === ms && ms >= -MAX_MS && ms <= MAX_MS) {
            const iso = formatIsoUtc(ms);
            if (cacheable) {
              lastValue = value;
              lastIso = iso;
            }
            setField(event, target, iso);
            return;
          }
        }
        fail(event);
      },
    };
  },
};
