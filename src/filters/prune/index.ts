/**
 * prune: removes top-level fields by name or value, with white- and blacklists of regular
 * expressions (unanchored, as in Logstash: anchor with ^…$ for an exact name). Order, as in
 * Logstash: whitelistNames, blacklistNames, whitelistValues, blacklistValues. A value list
 * applies to the named field: a string value that fails it removes the field, an array
 * loses the elements that fail it. `@timestamp` and `@metadata` are never removed (Logstash
 * can remove `@timestamp`; an event without one is not useful in a time-based index).
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import type { Event } from '../../core/event.js';
import { LruCache } from '../../core/lru.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';
import { compileTemplate, type Template } from '../../core/template.js';

const valueMap = (description: string) =>
  Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]), { description }));

export const pruneConfig = Type.Object(
  {
    whitelistNames: Type.Optional(Type.Array(Type.String(), { description: 'Keep only the fields whose name matches one of these regular expressions.' })),
    blacklistNames: Type.Array(Type.String(), {
      default: ['%\\{[^}]+\\}'],
      description: 'Remove the fields whose name matches one of these regular expressions. The default removes names left with an unresolved `%{…}` reference.',
    }),
    whitelistValues: valueMap('`{ field: regex or [regexes] }`: keep the field (or the array elements) only where the value matches.'),
    blacklistValues: valueMap('`{ field: regex or [regexes] }`: remove the field (or the array elements) where the value matches.'),
    interpolate: Type.Boolean({ default: false, description: 'Render `%{field}` references in the names and regular expressions per event first.' }),
    ...successActions,
  },
  { additionalProperties: false },
);

const KEEP = new Set(['@timestamp', '@metadata']);

export const prune: FilterSpec<typeof pruneConfig> = {
  kind: 'filter',
  name: 'prune',
  summary: 'Remove top-level fields by name or value (white- and blacklists of regular expressions)',
  config: pruneConfig,
  create(config): Filter {
    const { interpolate } = config;
    const regexCache = new LruCache<string, RegExp | null>(1000);
    const compile = (source: string, where: string): RegExp => {
      try {
        return new RegExp(source);
      } catch (e) {
        throw new Error(`${where}: invalid regular expression "${source}": ${(e as Error).message}`);
      }
    };
    // A pattern is fixed, or (with interpolate) a template rendered per event and compiled once per distinct text.
    type Pattern = (e: Event) => RegExp | null;
    const pattern = (source: string, where: string): Pattern => {
      if (interpolate && source.includes('%{')) {
        const t: Template = compileTemplate(source);
        return (e) => {
          const text = t.render(e);
          let re = regexCache.get(text);
          if (re === undefined) {
            try {
              re = new RegExp(text);
            } catch {
              re = null; // a rendered pattern that does not compile matches nothing
            }
            regexCache.set(text, re);
          }
          return re;
        };
      }
      const re = compile(source, where);
      return () => re;
    };
    const nameOf = (field: string): ((e: Event) => string) => {
      if (!interpolate || !field.includes('%{')) return () => field;
      const t = compileTemplate(field);
      return (e) => t.render(e);
    };
    const whitelistNames = config.whitelistNames?.map((s) => pattern(s, 'whitelistNames'));
    const blacklistNames = config.blacklistNames.map((s) => pattern(s, 'blacklistNames'));
    const valueRules = (map: Record<string, string | string[]> | undefined, where: string) =>
      Object.entries(map ?? {}).map(([field, res]) => ({ name: nameOf(field), patterns: (Array.isArray(res) ? res : [res]).map((s) => pattern(s, `${where}.${field}`)) }));
    const whitelistValues = valueRules(config.whitelistValues, 'whitelistValues');
    const blacklistValues = valueRules(config.blacklistValues, 'blacklistValues');
    const onSuccess = compileSuccessActions(config);

    const anyMatch = (patterns: Pattern[], e: Event, text: string) => patterns.some((p) => p(e)?.test(text) ?? false);
    const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

    const filterValues = (event: Event, rules: typeof whitelistValues, keepWhenMatched: boolean) => {
      for (const rule of rules) {
        const name = rule.name(event);
        if (KEEP.has(name) || !Object.prototype.hasOwnProperty.call(event, name)) continue;
        const value = event[name];
        const keep = (v: unknown) => {
          const t = text(v);
          return t === undefined ? true : anyMatch(rule.patterns, event, t) === keepWhenMatched;
        };
        if (Array.isArray(value)) event[name] = value.filter(keep);
        else if (!keep(value)) delete event[name];
      }
    };

    return {
      process(event) {
        for (const key of Object.keys(event)) {
          if (KEEP.has(key)) continue;
          if (whitelistNames && !anyMatch(whitelistNames, event, key)) delete event[key];
          else if (anyMatch(blacklistNames, event, key)) delete event[key];
        }
        filterValues(event, whitelistValues, true);
        filterValues(event, blacklistValues, false);
        onSuccess(event);
      },
    };
  },
};
