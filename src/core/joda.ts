/**
 * Joda-/Java-style date patterns (`yyyy.MM.dd`, `dd/MMM/yyyy:HH:mm:ss Z`), the notation
 * Logstash users write in index names and date filters. This module compiles a pattern once
 * into a list of tokens; formatting walks the tokens.
 */

import { LruCache } from './lru.js';

export type JodaToken =
  | { kind: 'literal'; text: string }
  | { kind: 'field'; letter: string; width: number };

const MONTHS_SHORT = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS_SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAYS_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const JODA_NAMES = { MONTHS_SHORT, MONTHS_LONG, DAYS_SHORT, DAYS_LONG };

const LETTERS = /[A-Za-z]/;

/** Splits a pattern into tokens; text in single quotes is literal, '' is a quote. */
export function tokenizeJoda(pattern: string): JodaToken[] {
  const tokens: JodaToken[] = [];
  let i = 0;
  const pushLiteral = (text: string) => {
    const last = tokens[tokens.length - 1];
    if (last && last.kind === 'literal') last.text += text;
    else tokens.push({ kind: 'literal', text });
  };
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === "'") {
      if (pattern[i + 1] === "'") {
        pushLiteral("'");
        i += 2;
        continue;
      }
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in date pattern "${pattern}"`);
      pushLiteral(pattern.slice(i + 1, end));
      i = end + 1;
    } else if (LETTERS.test(ch)) {
      let j = i;
      while (pattern[j] === ch) j++;
      tokens.push({ kind: 'field', letter: ch, width: j - i });
      i = j;
    } else {
      pushLiteral(ch);
      i++;
    }
  }
  return tokens;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** The calendar fields of an instant in a fixed UTC offset (minutes east of UTC). */
function fieldsAt(ms: number, offsetMinutes: number) {
  const d = new Date(ms + offsetMinutes * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    milli: d.getUTCMilliseconds(),
    weekday: d.getUTCDay(),
    dayOfYear: Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1,
  };
}

function formatOffset(offsetMinutes: number, width: number): string {
  if (offsetMinutes === 0 && width >= 3) return 'Z';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = pad(Math.floor(abs / 60), 2);
  const mm = pad(abs % 60, 2);
  return width === 1 ? `${sign}${hh}${mm}` : `${sign}${hh}:${mm}`;
}

/** ISO week-based year and week number, for `xxxx` and `ww`. */
function isoWeek(year: number, month: number, day: number): { weekYear: number; week: number } {
  const date = new Date(Date.UTC(year, month, day));
  const dayNum = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - dayNum + 3);
  const weekYear = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(weekYear, 0, 4));
  const week = 1 + Math.round(((date.getTime() - firstThursday.getTime()) / 86_400_000 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return { weekYear, week };
}

export function formatJoda(tokens: readonly JodaToken[], ms: number, offsetMinutes = 0): string {
  const f = fieldsAt(ms, offsetMinutes);
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'literal') {
      out += t.text;
      continue;
    }
    const w = t.width;
    switch (t.letter) {
      case 'y':
      case 'Y':
      case 'u':
        out += w === 2 ? pad(f.year % 100, 2) : pad(f.year, w);
        break;
      case 'x':
      case 'e':
        if (t.letter === 'x') {
          const wy = isoWeek(f.year, f.month, f.day).weekYear;
          out += w === 2 ? pad(wy % 100, 2) : pad(wy, w);
        } else out += String(((f.weekday + 6) % 7) + 1);
        break;
      case 'w':
        out += pad(isoWeek(f.year, f.month, f.day).week, w);
        break;
      case 'M':
        out += w >= 4 ? MONTHS_LONG[f.month] : w === 3 ? MONTHS_SHORT[f.month] : pad(f.month + 1, w);
        break;
      case 'd':
        out += pad(f.day, w);
        break;
      case 'D':
        out += pad(f.dayOfYear, w);
        break;
      case 'E':
        out += w >= 4 ? DAYS_LONG[f.weekday] : DAYS_SHORT[f.weekday];
        break;
      case 'H':
        out += pad(f.hour, w);
        break;
      case 'k':
        out += pad(f.hour === 0 ? 24 : f.hour, w);
        break;
      case 'h':
        out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, w);
        break;
      case 'K':
        out += pad(f.hour % 12, w);
        break;
      case 'a':
        out += f.hour < 12 ? 'AM' : 'PM';
        break;
      case 'm':
        out += pad(f.minute, w);
        break;
      case 's':
        out += pad(f.second, w);
        break;
      case 'S':
        out += pad(f.milli, 3).padEnd(w, '0').slice(0, w);
        break;
      case 'Z':
      case 'X':
      case 'z':
        out += formatOffset(offsetMinutes, t.letter === 'Z' ? (w === 1 ? 1 : 2) : 3);
        break;
      default:
        throw new Error(`unsupported date pattern letter "${t.letter}"`);
    }
  }
  return out;
}

// ================================================================ time zones

/** A time zone: a fixed offset or an IANA zone with rules (offsets computed through Intl). */
export interface TimeZone {
  /** The canonical id (`Europe/Paris`, `UTC`, `+01:00`). */
  readonly id: string;
  /** The offset in minutes east of UTC when the zone has no rules, else undefined. */
  readonly fixedOffset: number | undefined;
  /** The offset in minutes east of UTC in force at the instant `utcMs`. */
  offsetAt(utcMs: number): number;
}

class FixedZone implements TimeZone {
  constructor(
    readonly id: string,
    readonly fixedOffset: number,
  ) {}
  offsetAt(): number {
    return this.fixedOffset;
  }
}

export const UTC_ZONE: TimeZone = new FixedZone('UTC', 0);

/** Every civil-time transition in use falls on a quarter hour (UTC), so an offset cached per
 * 15-minute bucket is exact. */
const BUCKET_MS = 900_000;

class IanaZone implements TimeZone {
  readonly fixedOffset = undefined;
  private readonly cache = new LruCache<number, number>(4096);

  constructor(
    readonly id: string,
    private readonly dtf: Intl.DateTimeFormat,
  ) {}

  offsetAt(utcMs: number): number {
    const bucket = Math.floor(utcMs / BUCKET_MS);
    let off = this.cache.get(bucket);
    if (off === undefined) {
      off = this.compute(bucket * BUCKET_MS);
      this.cache.set(bucket, off);
    }
    return off;
  }

  private compute(ms: number): number {
    let year = 1970;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const p of this.dtf.formatToParts(ms)) {
      switch (p.type) {
        case 'year':
          year = Number(p.value);
          break;
        case 'month':
          month = Number(p.value);
          break;
        case 'day':
          day = Number(p.value);
          break;
        case 'hour':
          hour = Number(p.value) % 24;
          break;
        case 'minute':
          minute = Number(p.value);
          break;
        case 'second':
          second = Number(p.value);
          break;
        case 'era':
          bc = p.value === 'BC' || p.value === 'B';
          break;
      }
    }
    if (bc) year = 1 - year;
    const local = utcFromFields(year, month - 1, day, hour, minute, second, 0);
    return (local - Math.floor(ms / 1000) * 1000) / 60_000;
  }
}

const FIXED_OFFSET = /^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;
const UTC_NAMES = new Set(['utc', 'z', 'gmt', 'ut', 'etc/utc', 'etc/gmt', 'etc/uct', 'etc/zulu', 'zulu', 'uct', 'universal', 'etc/universal', 'gmt0', 'etc/gmt0', 'greenwich']);
const zoneCache = new Map<string, TimeZone | null>();

function buildZone(id: string): TimeZone | null {
  const lower = id.toLowerCase();
  if (UTC_NAMES.has(lower)) return UTC_ZONE;
  const m = FIXED_OFFSET.exec(id);
  if (m) {
    const h = Number(m[2]);
    const mm = m[3] ? Number(m[3]) : 0;
    if (h > 18 || mm > 59) return null;
    const off = (m[1] === '-' ? -1 : 1) * (h * 60 + mm);
    return off === 0 ? UTC_ZONE : new FixedZone(formatOffset(off, 2), off);
  }
  let dtf: Intl.DateTimeFormat;
  try {
    dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: id,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return null;
  }
  const canonical = dtf.resolvedOptions().timeZone;
  if (UTC_NAMES.has(canonical.toLowerCase())) return UTC_ZONE;
  return new IanaZone(canonical, dtf);
}

/** The zone for an id (IANA name, `UTC`, `+01:00`), or undefined; results are cached. */
export function tryResolveTimeZone(id: string): TimeZone | undefined {
  let zone = zoneCache.get(id);
  if (zone === undefined) {
    zone = buildZone(id);
    // Bounded: zone ids read from events (`ZZZ`, templated `timezone`) cannot grow it forever.
    if (zoneCache.size >= 10_000) zoneCache.clear();
    zoneCache.set(id, zone);
  }
  return zone ?? undefined;
}

/** The zone for an id; throws a clear Error for an unknown one (for config validation). */
export function resolveTimeZone(id: string): TimeZone {
  const zone = tryResolveTimeZone(id);
  if (!zone) throw new Error(`unknown time zone "${id}" (expected an IANA name such as "Europe/Paris", "UTC" or an offset such as "+01:00")`);
  return zone;
}

const HOUR_MS = 3_600_000;

/**
 * Converts a wall-clock time (`localMs`: the fields encoded as if they were UTC) in `zone` to
 * an instant. In a DST overlap the earlier instant is chosen (as Joda and java.time do); a
 * time in a DST gap is moved forward by the length of the gap (as java.time does).
 */
export function localToUtc(zone: TimeZone, localMs: number): number {
  if (zone.fixedOffset !== undefined) return localMs - zone.fixedOffset * 60_000;
  // Offsets are within ±18h, so the instant lies between local-18h and local+18h; the offsets
  // in force at both ends tell whether a transition can be involved at all.
  const before = zone.offsetAt(localMs - 19 * HOUR_MS);
  const after = zone.offsetAt(localMs + 19 * HOUR_MS);
  if (before === after) return localMs - before * 60_000;
  const u1 = localMs - before * 60_000;
  const u2 = localMs - after * 60_000;
  const ok1 = zone.offsetAt(u1) === before;
  const ok2 = zone.offsetAt(u2) === after;
  if (ok1 && ok2) return Math.min(u1, u2);
  if (ok1) return u1;
  if (ok2) return u2;
  return u1;
}

/** `Date.UTC` without its 1900 mapping of years 0..99. */
export function utcFromFields(year: number, month0: number, day: number, hour: number, minute: number, second: number, milli: number): number {
  const t = Date.UTC(year, month0, day, hour, minute, second, milli);
  if (year >= 0 && year < 100) {
    const d = new Date(t);
    d.setUTCFullYear(year);
    return d.getTime();
  }
  return t;
}

// ================================================================ parsing

/** Fixed-offset abbreviations accepted by `z`. Ambiguous ones (IST, CST) take their most common reading in logs. */
const ZONE_ABBREVIATIONS = new Map<string, number>(Object.entries({
  UTC: 0, GMT: 0, UT: 0, Z: 0, WET: 0,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
  AKST: -540, AKDT: -480, HST: -600, AST: -240, ADT: -180, NST: -210, NDT: -150,
  BST: 60, WEST: 60, CET: 60, CEST: 120, MET: 60, MEST: 120, EET: 120, EEST: 180, MSK: 180,
  IST: 330, PKT: 300, ICT: 420, WIB: 420, SGT: 480, HKT: 480, AWST: 480, JST: 540, KST: 540,
  ACST: 570, ACDT: 630, AEST: 600, AEDT: 660, NZST: 720, NZDT: 780,
}));

interface NameEntry {
  lower: string;
  value: number;
}
/**
 * Names grouped by their lower-cased first character, longest first within a group; for an
 * ASCII first character also indexed by its (lower-case) code, which skips making a one-letter
 * string and lower-casing it for every date parsed.
 */
interface NameTable {
  byChar: Map<string, NameEntry[]>;
  ascii: (NameEntry[] | undefined)[];
}

function nameTable(entries: Array<[string, number]>): NameTable {
  const byChar = new Map<string, NameEntry[]>();
  const table: NameTable = { byChar, ascii: [] };
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const lower = name.toLowerCase().trim();
    if (!lower || seen.has(lower)) continue;
    seen.add(lower);
    const first = lower[0];
    let group = byChar.get(first);
    if (!group) byChar.set(first, (group = []));
    group.push({ lower, value });
  }
  for (const group of byChar.values()) group.sort((a, b) => b.lower.length - a.lower.length);
  for (let c = 0; c < 128; c++) table.ascii[c] = byChar.get(String.fromCharCode(c));
  return table;
}

/** Case-insensitive match of a lower-case name at `pos`. */
function matchesAt(text: string, pos: number, lower: string): boolean {
  if (pos + lower.length > text.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = text.charCodeAt(pos + i);
    if (c >= 65 && c <= 90) c += 32;
    else if (c > 127) c = text[pos + i].toLowerCase().charCodeAt(0);
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function matchName(table: NameTable, text: string, pos: number): NameEntry | undefined {
  if (pos >= text.length) return undefined;
  const c = text.charCodeAt(pos);
  const group = c < 128 ? table.ascii[c >= 65 && c <= 90 ? c + 32 : c] : table.byChar.get(text[pos].toLowerCase());
  if (!group) return undefined;
  for (const e of group) if (matchesAt(text, pos, e.lower)) return e;
  return undefined;
}

interface LocaleNames {
  months: NameTable;
  weekdays: NameTable;
  halfday: NameTable;
}
const localeCache = new Map<string, LocaleNames>();

/** Month, weekday and AM/PM names of a locale: English built in, others from Intl (CLDR). */
export function localeNames(locale: string): LocaleNames {
  let names = localeCache.get(locale);
  if (names) return names;
  const months: Array<[string, number]> = [];
  const weekdays: Array<[string, number]> = [];
  const halfday: Array<[string, number]> = [['AM', 0], ['PM', 1]];
  MONTHS_LONG.forEach((n, i) => months.push([n, i]));
  MONTHS_SHORT.forEach((n, i) => months.push([n, i]));
  months.push(['Sept', 8]);
  DAYS_LONG.forEach((n, i) => weekdays.push([n, i]));
  DAYS_SHORT.forEach((n, i) => weekdays.push([n, i]));
  const lang = locale.toLowerCase().split(/[-_]/)[0];
  if (lang !== 'en') {
    let supported: string[];
    try {
      supported = Intl.DateTimeFormat.supportedLocalesOf([locale]);
    } catch {
      supported = [];
    }
    if (supported.length === 0) throw new Error(`unsupported locale "${locale}"`);
    const loc = supported[0];
    // Locale names first: the English ones stay accepted as a fallback (logs are often English).
    months.length = 0;
    weekdays.length = 0;
    const variants = (s: string) => (s.endsWith('.') ? [s, s.slice(0, -1)] : [s]);
    for (const style of ['long', 'short'] as const) {
      const standalone = new Intl.DateTimeFormat(loc, { month: style, timeZone: 'UTC' });
      const inDate = new Intl.DateTimeFormat(loc, { month: style, day: 'numeric', timeZone: 'UTC' });
      const wd = new Intl.DateTimeFormat(loc, { weekday: style, timeZone: 'UTC' });
      for (let i = 0; i < 12; i++) {
        const d = Date.UTC(2021, i, 15);
        for (const v of variants(standalone.format(d))) months.push([v, i]);
        const part = inDate.formatToParts(d).find((p) => p.type === 'month');
        if (part) for (const v of variants(part.value)) months.push([v, i]);
      }
      for (let i = 0; i < 7; i++) for (const v of variants(wd.format(Date.UTC(2021, 7, 1 + i)))) weekdays.push([v, i]);
    }
    const hf = new Intl.DateTimeFormat(loc, { hour: 'numeric', hourCycle: 'h12', timeZone: 'UTC' });
    for (const [h, v] of [[3, 0], [15, 1]] as const) {
      const part = hf.formatToParts(Date.UTC(2021, 0, 1, h)).find((p) => p.type === 'dayPeriod');
      if (part) for (const x of variants(part.value)) halfday.push([x, v]);
    }
    MONTHS_LONG.forEach((n, i) => months.push([n, i]));
    MONTHS_SHORT.forEach((n, i) => months.push([n, i]));
    DAYS_LONG.forEach((n, i) => weekdays.push([n, i]));
    DAYS_SHORT.forEach((n, i) => weekdays.push([n, i]));
  }
  names = { months: nameTable(months), weekdays: nameTable(weekdays), halfday: nameTable(halfday) };
  localeCache.set(locale, names);
  return names;
}

const enum F {
  Year,
  Month,
  Day,
  DayOfYear,
  Hour24,
  Hour24k,
  Hour12h,
  Hour12K,
  Minute,
  Second,
  Ignored,
}

type Step =
  | { t: 'lit'; text: string; lower: string; ci: boolean; /** Its code when it is one case-insensitive-free character (`/`, `:`, ` `…), else -1. */ code: number }
  | { t: 'num'; f: F; max: number }
  | { t: 'yy'; lenient: boolean }
  | { t: 'frac'; max: number }
  | { t: 'month'; names: NameTable }
  | { t: 'weekday'; names: NameTable }
  | { t: 'halfday'; names: NameTable }
  | { t: 'offset' }
  | { t: 'zoneId' }
  | { t: 'zoneName' };

export interface JodaParseOptions {
  /** Locale of month and weekday names (`en` by default). */
  locale?: string;
}

export interface JodaParser {
  readonly pattern: string;
  /** The pattern has a year; without one the year is guessed (see `parse`). */
  readonly hasYear: boolean;
  /** The pattern reads an offset or a zone from the text. */
  readonly hasZone: boolean;
  /**
   * Parses `text` (the whole text must match) into epoch milliseconds, or NaN.
   * `zone` applies when the text has no offset or zone. Without a year in the pattern the
   * current year in `zone` is used, except that a December date read in January belongs to
   * the previous year and a January date read in December to the next one (Logstash's rule).
   */
  parse(text: string, zone: TimeZone, nowMs?: number): number;
}

const NUMERIC_LETTERS = new Set(['y', 'Y', 'u', 'x', 'd', 'D', 'H', 'k', 'h', 'K', 'm', 's', 'S', 'e', 'w', 'C']);

function isNumericToken(t: JodaToken | undefined): boolean {
  if (!t || t.kind !== 'field') return false;
  if (t.letter === 'M') return t.width <= 2;
  return NUMERIC_LETTERS.has(t.letter);
}

/** Compiles a Joda-style pattern into a parser (done once; parsing allocates nothing). */
export function compileJodaParser(pattern: string, options: JodaParseOptions = {}): JodaParser {
  if (pattern === '') throw new Error('empty date pattern');
  const tokens = tokenizeJoda(pattern);
  const names = localeNames(options.locale ?? 'en');
  const steps: Step[] = [];
  let hasYear = false;
  let hasZone = false;
  tokens.forEach((tok, i) => {
    if (tok.kind === 'literal') {
      const lower = tok.text.toLowerCase();
      const ci = lower !== tok.text.toUpperCase();
      steps.push({ t: 'lit', text: tok.text, lower, ci, code: !ci && tok.text.length === 1 ? tok.text.charCodeAt(0) : -1 });
      return;
    }
    const w = tok.width;
    const nextNumeric = isNumericToken(tokens[i + 1]);
    switch (tok.letter) {
      case 'y':
      case 'Y':
      case 'u':
        hasYear = true;
        if (w === 2) steps.push({ t: 'yy', lenient: !nextNumeric });
        else steps.push({ t: 'num', f: F.Year, max: nextNumeric ? Math.max(w, 4) : 9 });
        break;
      case 'M':
        if (w >= 3) steps.push({ t: 'month', names: names.months });
        else steps.push({ t: 'num', f: F.Month, max: 2 });
        break;
      case 'd':
        steps.push({ t: 'num', f: F.Day, max: 2 });
        break;
      case 'D':
        steps.push({ t: 'num', f: F.DayOfYear, max: 3 });
        break;
      case 'H':
        steps.push({ t: 'num', f: F.Hour24, max: 2 });
        break;
      case 'k':
        steps.push({ t: 'num', f: F.Hour24k, max: 2 });
        break;
      case 'h':
        steps.push({ t: 'num', f: F.Hour12h, max: 2 });
        break;
      case 'K':
        steps.push({ t: 'num', f: F.Hour12K, max: 2 });
        break;
      case 'm':
        steps.push({ t: 'num', f: F.Minute, max: 2 });
        break;
      case 's':
        steps.push({ t: 'num', f: F.Second, max: 2 });
        break;
      case 'S':
        steps.push({ t: 'frac', max: nextNumeric ? w : 9 });
        break;
      case 'e':
        steps.push({ t: 'num', f: F.Ignored, max: 1 });
        break;
      case 'E':
        steps.push({ t: 'weekday', names: names.weekdays });
        break;
      case 'a':
        steps.push({ t: 'halfday', names: names.halfday });
        break;
      case 'Z':
        hasZone = true;
        steps.push(w >= 3 ? { t: 'zoneId' } : { t: 'offset' });
        break;
      case 'X':
      case 'x':
        if (tok.letter === 'x' && w !== 3) throw new Error(`unsupported date pattern letter "x" in "${pattern}" (week-based years are not supported for parsing)`);
        hasZone = true;
        steps.push({ t: 'offset' });
        break;
      case 'z':
        hasZone = true;
        steps.push({ t: 'zoneName' });
        break;
      default:
        throw new Error(`unsupported date pattern letter "${tok.letter}" in "${pattern}"`);
    }
  });

  // Parse state, reused across calls (parsing is synchronous).
  let year = 0;
  let yearSet = false;
  let month = 0;
  let day = 1;
  let dayOfYear = 0;
  let hour = 0;
  let half = -1;
  let h12 = false;
  let minute = 0;
  let second = 0;
  let milli = 0;
  let offset = NaN;
  let textZone: TimeZone | undefined;

  const pivot = new Date().getUTCFullYear() - 30;

  function run(text: string): boolean {
    yearSet = false;
    month = 0;
    day = 1;
    dayOfYear = 0;
    hour = 0;
    half = -1;
    h12 = false;
    minute = 0;
    second = 0;
    milli = 0;
    offset = NaN;
    textZone = undefined;
    const len = text.length;
    let pos = 0;
    for (let s = 0; s < steps.length; s++) {
      const st = steps[s];
      switch (st.t) {
        case 'lit': {
          if (st.code >= 0) {
            if (text.charCodeAt(pos) !== st.code) return false;
            pos++;
            break;
          }
          const n = st.text.length;
          if (st.ci) {
            if (!matchesAt(text, pos, st.lower)) return false;
          } else if (!text.startsWith(st.text, pos)) return false;
          pos += n;
          break;
        }
        case 'num': {
          let v = 0;
          let n = 0;
          while (n < st.max && pos < len) {
            const c = text.charCodeAt(pos) - 48;
            if (c < 0 || c > 9) break;
            v = v * 10 + c;
            pos++;
            n++;
          }
          if (n === 0) return false;
          switch (st.f) {
            case F.Year:
              year = v;
              yearSet = true;
              break;
            case F.Month:
              if (v < 1 || v > 12) return false;
              month = v - 1;
              break;
            case F.Day:
              day = v;
              break;
            case F.DayOfYear:
              dayOfYear = v;
              break;
            case F.Hour24:
              if (v > 23) return false;
              hour = v;
              break;
            case F.Hour24k:
              if (v < 1 || v > 24) return false;
              hour = v % 24;
              break;
            case F.Hour12h:
              if (v < 1 || v > 12) return false;
              hour = v % 12;
              h12 = true;
              break;
            case F.Hour12K:
              if (v > 11) return false;
              hour = v;
              h12 = true;
              break;
            case F.Minute:
              if (v > 59) return false;
              minute = v;
              break;
            case F.Second:
              if (v > 59) return false;
              second = v;
              break;
          }
          break;
        }
        case 'yy': {
          const start = pos;
          let v = 0;
          while (pos < len && pos - start < (st.lenient ? 9 : 2)) {
            const c = text.charCodeAt(pos) - 48;
            if (c < 0 || c > 9) break;
            v = v * 10 + c;
            pos++;
          }
          const n = pos - start;
          if (n === 0) return false;
          if (n === 2) {
            // Two digits: the year within 50 years of the pivot (now - 30), as Joda does.
            const low = pivot - 50;
            let y = low - (low % 100) + v;
            if (y < low) y += 100;
            year = y;
          } else year = v;
          yearSet = true;
          break;
        }
        case 'frac': {
          let v = 0;
          let n = 0;
          while (n < st.max && pos < len) {
            const c = text.charCodeAt(pos) - 48;
            if (c < 0 || c > 9) break;
            if (n < 3) v = v * 10 + c;
            pos++;
            n++;
          }
          if (n === 0) return false;
          milli = n === 1 ? v * 100 : n === 2 ? v * 10 : v;
          break;
        }
        case 'month': {
          const e = matchName(st.names, text, pos);
          if (!e) return false;
          month = e.value;
          pos += e.lower.length;
          break;
        }
        case 'weekday': {
          const e = matchName(st.names, text, pos);
          if (!e) return false;
          pos += e.lower.length;
          break;
        }
        case 'halfday': {
          const e = matchName(st.names, text, pos);
          if (!e) return false;
          half = e.value;
          pos += e.lower.length;
          break;
        }
        case 'offset': {
          const c = text.charCodeAt(pos);
          if (c === 90 || c === 122) {
            offset = 0;
            pos++;
            break;
          }
          if (c !== 43 && c !== 45) return false;
          const sign = c === 45 ? -1 : 1;
          pos++;
          const h = twoDigits(text, pos);
          if (h < 0 || h > 18) return false;
          pos += 2;
          let m = 0;
          if (text.charCodeAt(pos) === 58) {
            m = twoDigits(text, pos + 1);
            if (m < 0) return false;
            pos += 3;
          } else {
            const mm = twoDigits(text, pos);
            if (mm >= 0) {
              m = mm;
              pos += 2;
            }
          }
          if (m > 59) return false;
          offset = sign * (h * 60 + m);
          break;
        }
        case 'zoneId': {
          const start = pos;
          while (pos < len && isZoneIdChar(text.charCodeAt(pos))) pos++;
          if (pos === start) return false;
          const zone = tryResolveTimeZone(text.slice(start, pos));
          if (!zone) return false;
          textZone = zone;
          break;
        }
        case 'zoneName': {
          const start = pos;
          while (pos < len && isLetter(text.charCodeAt(pos))) pos++;
          if (pos === start) return false;
          const name = text.slice(start, pos);
          const abbr = ZONE_ABBREVIATIONS.get(name.toUpperCase());
          if (abbr !== undefined) offset = abbr;
          else {
            const zone = tryResolveTimeZone(name);
            if (!zone) return false;
            textZone = zone;
          }
          break;
        }
      }
    }
    if (pos !== len) return false;
    if (h12 && half === 1) hour += 12;
    return true;
  }

  return {
    pattern,
    hasYear,
    hasZone,
    parse(text: string, zone: TimeZone, nowMs?: number): number {
      if (!run(text)) return NaN;
      if (!yearSet) {
        const now = nowMs ?? Date.now();
        const nowLocal = new Date(now + zone.offsetAt(now) * 60_000);
        const nowMonth = nowLocal.getUTCMonth();
        year = nowLocal.getUTCFullYear();
        if (month === 11 && nowMonth === 0) year -= 1;
        else if (month === 0 && nowMonth === 11) year += 1;
      }
      if (dayOfYear > 0) {
        if (dayOfYear > (isLeap(year) ? 366 : 365)) return NaN;
        const d = new Date(utcFromFields(year, 0, dayOfYear, 0, 0, 0, 0));
        month = d.getUTCMonth();
        day = d.getUTCDate();
      }
      if (day < 1 || day > daysInMonth(year, month)) return NaN;
      const local = utcFromFields(year, month, day, hour, minute, second, milli);
      if (offset === offset) return local - offset * 60_000;
      return localToUtc(textZone ?? zone, local);
    },
  };
}

function twoDigits(text: string, pos: number): number {
  const a = text.charCodeAt(pos) - 48;
  const b = text.charCodeAt(pos + 1) - 48;
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) return -1;
  return a * 10 + b;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isZoneIdChar(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 47 || c === 95 || c === 45 || c === 43;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysInMonth(year: number, month0: number): number {
  return month0 === 1 && isLeap(year) ? 29 : DAYS_IN_MONTH[month0];
}

/**
 * ISO-8601 as Logstash's `ISO8601` accepts it, a little more leniently: `yyyy-MM-dd`,
 * optionally followed by `T` or a space and `HH:mm`, `:ss`, a fraction after `.` or `,`
 * (any number of digits), and an offset `Z`, `±HH`, `±HHmm` or `±HH:mm`. Returns epoch ms or NaN;
 * `zone` applies when there is no offset.
 */
export function parseIso8601(text: string, zone: TimeZone): number {
  const len = text.length;
  let pos = 0;
  let sign = 1;
  if (text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43) {
    sign = text.charCodeAt(0) === 45 ? -1 : 1;
    pos = 1;
  }
  let year = 0;
  const ys = pos;
  while (pos < len && pos - ys < 9) {
    const c = text.charCodeAt(pos) - 48;
    if (c < 0 || c > 9) break;
    year = year * 10 + c;
    pos++;
  }
  if (pos - ys < 4) return NaN;
  year *= sign;
  let month = 0;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let milli = 0;
  let offset = NaN;
  if (text.charCodeAt(pos) === 45) {
    const mo = twoDigits(text, pos + 1);
    if (mo < 1 || mo > 12) return NaN;
    month = mo - 1;
    pos += 3;
    if (text.charCodeAt(pos) === 45) {
      day = twoDigits(text, pos + 1);
      if (day < 1) return NaN;
      pos += 3;
    }
  }
  if (day > daysInMonth(year, month)) return NaN;
  const sep = text.charCodeAt(pos);
  if (sep === 84 || sep === 116 || (sep === 32 && pos + 1 < len)) {
    pos++;
    hour = twoDigits(text, pos);
    if (hour < 0 || hour > 23) return NaN;
    pos += 2;
    if (text.charCodeAt(pos) === 58) {
      minute = twoDigits(text, pos + 1);
      if (minute < 0 || minute > 59) return NaN;
      pos += 3;
      if (text.charCodeAt(pos) === 58) {
        second = twoDigits(text, pos + 1);
        if (second < 0 || second > 59) return NaN;
        pos += 3;
        const f = text.charCodeAt(pos);
        if (f === 46 || f === 44) {
          pos++;
          let n = 0;
          let v = 0;
          while (pos < len) {
            const c = text.charCodeAt(pos) - 48;
            if (c < 0 || c > 9) break;
            if (n < 3) v = v * 10 + c;
            n++;
            pos++;
          }
          if (n === 0) return NaN;
          milli = n === 1 ? v * 100 : n === 2 ? v * 10 : v;
        }
      }
    }
  }
  if (pos < len) {
    const c = text.charCodeAt(pos);
    if (c === 90 || c === 122) {
      offset = 0;
      pos++;
    } else if (c === 43 || c === 45) {
      const h = twoDigits(text, pos + 1);
      if (h < 0 || h > 18) return NaN;
      pos += 3;
      let m = 0;
      if (text.charCodeAt(pos) === 58) {
        m = twoDigits(text, pos + 1);
        if (m < 0) return NaN;
        pos += 3;
      } else if (pos < len) {
        m = twoDigits(text, pos);
        if (m < 0) return NaN;
        pos += 2;
      }
      if (m > 59) return NaN;
      offset = (c === 45 ? -1 : 1) * (h * 60 + m);
    }
  }
  if (pos !== len) return NaN;
  const local = utcFromFields(year, month, day, hour, minute, second, milli);
  if (offset === offset) return local - offset * 60_000;
  return localToUtc(zone, local);
}

// ================================================================ ISO-8601 output

const TWO = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i);
const MILLIS_Z = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0') + 'Z');
let lastSecond = NaN;
let lastPrefix = '';
let lastDay = NaN;
let lastDatePrefix = '';

/**
 * `new Date(ms).toISOString()` (`2015-05-17T10:05:03.000Z`), several times faster: the
 * calendar is computed arithmetically and the text up to the seconds is reused while
 * consecutive calls fall in the same second (the common case for a log stream).
 */
export function formatIsoUtc(time: number): string {
  if (!Number.isInteger(time)) return new Date(time).toISOString();
  const ms = time;
  const second = Math.floor(ms / 1000);
  const milli = ms - second * 1000;
  if (second === lastSecond) return lastPrefix + MILLIS_Z[milli];
  let days = Math.floor(second / 86_400);
  let rem = second - days * 86_400;
  const hour = Math.floor(rem / 3600);
  rem -= hour * 3600;
  const minute = Math.floor(rem / 60);
  const sec = rem - minute * 60;
  // The date part is the same for every second of a day: computed once per day.
  if (days === lastDay) {
    lastSecond = second;
    lastPrefix = lastDatePrefix + TWO[hour] + ':' + TWO[minute] + ':' + TWO[sec] + '.';
    return lastPrefix + MILLIS_Z[milli];
  }
  const dayNumber = days;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  days += 719_468;
  const era = Math.floor(days / 146_097);
  const doe = days - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return new Date(ms).toISOString();
  lastDay = dayNumber;
  lastDatePrefix = TWO[Math.floor(year / 100)] + TWO[year % 100] + '-' + TWO[month] + '-' + TWO[day] + 'T';
  lastSecond = second;
  lastPrefix = lastDatePrefix + TWO[hour] + ':' + TWO[minute] + ':' + TWO[sec] + '.';
  return lastPrefix + MILLIS_Z[milli];
}
