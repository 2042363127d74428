/**
 * Shared by the ground-truth tests: where the shared corpus lives, a CSV reader for the
 * Loghub `*_structured.csv` files, and reading `sluice process` output.
 *
 * The corpus is not part of the repository (see ../shared/corpus/README.md): it sits next to
 * the checkout as `../shared/corpus`, or wherever SLUICE_CORPUS points. Tests that need it
 * register one passing test that says why they did nothing when it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from '../helpers/sluice.js';

export const CORPUS = resolve(process.env.SLUICE_CORPUS ?? join(ROOT, '..', 'shared', 'corpus'));
export const corpusPresent = existsSync(join(CORPUS, 'README.md'));
export const ABSENT_REASON = `the shared corpus is not at ${CORPUS} (set SLUICE_CORPUS to its folder); the ground-truth tests need it, so they did not run`;

export type Event = Record<string, unknown>;

/** RFC 4180: quoted fields with "" escapes and embedded commas or line breaks; the first row is the header. */
export function readCsv(file: string): Record<string, string>[] {
  const text = readFileSync(file, 'utf8');
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...data] = rows;
  return data.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
}

/** The lines of a log file as `sluice process` reads them (LF or CRLF; no empty last line). */
export function readLines(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** One JSON event per stdout line. */
export function parseEvents(stdout: string): Event[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Event);
}

/** A dotted field of an event (`http.response.status_code`). */
export function field(event: Event, path: string): unknown {
  let v: unknown = event;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * `sluice process` connects to nothing, but it loads the pipeline file, whose `${KAFKA_BROKERS}`
 * and `${ES_URL}` must still be valid: the runs get fixed, well-formed values whatever the
 * test environment holds (e.g. KAFKA_BROKERS=unused to keep the stack from starting).
 */
export const OFFLINE_ENV = { KAFKA_BROKERS: 'localhost:9092', ES_URL: 'http://localhost:9200' };

export const percent = (n: number, of: number) => `${((100 * n) / of).toFixed(2)}%`;
