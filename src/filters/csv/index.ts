/**
 * csv: parses one delimited line (CSV, TSV, …) into fields.
 *
 * Quoting follows RFC 4180: a value that starts with the quote character runs to the next
 * unpaired quote, `""` inside it is one quote, and separators and line breaks inside it are
 * kept. A quote character inside an unquoted value is taken literally (more lenient than
 * Ruby's CSV); an unterminated quoted value, or text between a closing quote and the next
 * separator, is a failure.
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, getField, parsePath, setField, type Event, type FieldPath } from '../../core/event.js';

const ColumnType = Type.Union([Type.Literal('integer'), Type.Literal('float'), Type.Literal('boolean'), Type.Literal('string')]);

export const csvConfig = Type.Object(
  {
    field: Type.String({ default: 'message', description: 'The field holding the line.' }),
    columns: Type.Array(Type.String(), { default: [], description: 'Column names, in order (field references: `client.ip` nests).' }),
    separator: Type.String({ default: ',', minLength: 1, description: 'Column separator (one or more characters; `"\\t"` for TSV).' }),
    quoteChar: Type.String({ default: '"', minLength: 1, maxLength: 1, description: 'Quote character.' }),
    skipEmptyColumns: Type.Boolean({ default: false, description: 'Do not set columns whose value is empty.' }),
    skipEmptyRows: Type.Boolean({ default: false, description: 'Drop events whose line is empty (or only separators).' }),
    skipHeader: Type.Boolean({ default: false, description: 'Drop events whose line equals the column names (a header line).' }),
    autogenerateColumnNames: Type.Boolean({ default: true, description: 'Name values beyond `columns` `column<N>` (1-based); when false they are ignored.' }),
    convert: Type.Optional(
      Type.Record(Type.String(), ColumnType, { description: '`{ column: integer|float|boolean|string }`: convert values (values that do not convert stay strings).' }),
    ),
    target: Type.Optional(Type.String({ description: 'Put the columns under this field instead of at the event root.' })),
    tagOnFailure: Type.Array(Type.String(), { default: ['_csvparsefailure'], description: 'Tags added when the line is malformed (unterminated quote) or not a string.' }),
  },
  { additionalProperties: false },
);

/**
 * Splits one line; returns null when malformed. An unquoted empty value is null (as Ruby's
 * CSV gives nil), a quoted empty value is "".
 */
export function parseCsvLine(line: string, sep: string, quote: string): Array<string | null> | null {
  let text = line;
  if (text.endsWith('\r\n')) text = text.slice(0, -2);
  else if (text.endsWith('\n') || text.endsWith('\r')) text = text.slice(0, -1);
  const out: Array<string | null> = [];
  const len = text.length;
  const sepLen = sep.length;
  let pos = 0;
  for (;;) {
    if (text.startsWith(quote, pos)) {
      let value = '';
      let i = pos + 1;
      for (;;) {
        const q = text.indexOf(quote, i);
        if (q < 0) return null;
        value += text.slice(i, q);
        if (text.startsWith(quote, q + 1)) {
          value += quote;
          i = q + 2;
          continue;
        }
        pos = q + 1;
        break;
      }
      out.push(value);
      if (pos === len) return out;
      if (!text.startsWith(sep, pos)) return null;
      pos += sepLen;
    } else {
      const s = text.indexOf(sep, pos);
      const value = s < 0 ? text.slice(pos) : text.slice(pos, s);
      out.push(value === '' ? null : value);
      if (s < 0) return out;
      pos = s + sepLen;
    }
  }
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);

function convertValue(v: string, type: 'integer' | 'float' | 'boolean' | 'string'): unknown {
  switch (type) {
    case 'integer':
    case 'float': {
      const s = v.trim();
      if (!NUMBER.test(s)) return v;
      const n = Number(s);
      return Number.isFinite(n) ? (type === 'integer' ? Math.trunc(n) : n) : v;
    }
    case 'boolean': {
      const s = v.trim().toLowerCase();
      return TRUE.has(s) ? true : FALSE.has(s) ? false : v;
    }
    default:
      return v;
  }
}

export const csv: FilterSpec<typeof csvConfig> = {
  kind: 'filter',
  name: 'csv',
  summary: 'Parse a delimited (CSV/TSV) line into named fields',
  config: csvConfig,
  create(config): Filter {
    const source = parsePath(config.field);
    const target = config.target !== undefined ? parsePath(config.target) : undefined;
    const columns = config.columns.map((c) => ({ name: c, path: parsePath(c) }));
    const generated: FieldPath[] = [];
    const { separator, quoteChar, skipEmptyColumns, skipEmptyRows, skipHeader, autogenerateColumnNames } = config;
    const conversions = new Map(Object.entries(config.convert ?? {}));
    for (const name of conversions.keys()) parsePath(name);
    const tags = config.tagOnFailure;
    const fail = (event: Event) => {
      for (const tag of tags) addTag(event, tag);
    };

    return {
      process(event) {
        const line = getField(event, source);
        if (line === undefined || line === null) return;
        if (typeof line !== 'string') return fail(event);
        const values = parseCsvLine(line, separator, quoteChar);
        if (!values) return fail(event);
        if (skipEmptyRows && values.every((v) => v === null || v === '')) return null;
        if (skipHeader && columns.length > 0 && values.length === columns.length && values.every((v, i) => v === columns[i].name)) return null;
        const dest: Record<string, unknown> = target ? {} : event;
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (skipEmptyColumns && (v === null || v === '')) continue;
          let name: string;
          let path: FieldPath;
          if (i < columns.length) {
            name = columns[i].name;
            path = columns[i].path;
          } else {
            if (!autogenerateColumnNames) break;
            name = `column${i + 1}`;
            path = generated[i] ??= [name];
          }
          const type = conversions.get(name);
          setField(dest, path, v !== null && type ? convertValue(v, type) : v);
        }
        if (target) setField(event, target, dest);
      },
    };
  },
};
