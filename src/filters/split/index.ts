/**
 * split: turns one event into several, one per element of an array field or per line
 * (`terminator`) of a string field. Every new event is a deep copy of the original with the
 * field (or `target`) set to one element. As in Logstash, empty strings from a string split
 * are skipped, a string that does not split leaves the event unchanged, and an empty array
 * yields no event at all (the record is settled as dropped). The runtime gives the events
 * document ids `<topic>-<partition>-<offset>-<n>`.
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, cloneEvent, deleteField, getField, parsePath, setField, type Event } from '../../core/event.js';

export const splitConfig = Type.Object(
  {
    field: Type.String({ default: 'message', description: 'The array or string field to split.' }),
    terminator: Type.String({ default: '\n', minLength: 1, description: 'Separator for string fields.' }),
    target: Type.Optional(Type.String({ description: 'Put each element here instead of replacing the split field (which is then kept whole in every event).' })),
    tagOnFailure: Type.Array(Type.String(), { default: ['_split_type_failure'], description: 'Tags added when the field is neither an array nor a string.' }),
  },
  { additionalProperties: false },
);

export const split: FilterSpec<typeof splitConfig> = {
  kind: 'filter',
  name: 'split',
  summary: 'Split an array or multi-line field into one event per element',
  config: splitConfig,
  create(config): Filter {
    const field = parsePath(config.field);
    const target = config.target !== undefined ? parsePath(config.target) : undefined;
    const { terminator } = config;
    const tags = config.tagOnFailure;

    return {
      process(event) {
        const value = getField(event, field);
        if (value === undefined || value === null) return;
        let parts: unknown[];
        if (Array.isArray(value)) parts = value;
        else if (typeof value === 'string') {
          const pieces = value.split(terminator);
          if (pieces.length === 1) return;
          parts = pieces.filter((p) => p !== '');
        } else {
          for (const tag of tags) addTag(event, tag);
          return;
        }
        if (parts.length === 0) return [];
        const dest = target ?? field;
        // Copy the event without the split field, so the (possibly big) field is not cloned n times.
        if (!target) deleteField(event, field);
        const out: Event[] = new Array(parts.length);
        for (let i = 0; i < parts.length; i++) {
          const e = i === parts.length - 1 ? event : cloneEvent(event);
          setField(e, dest, i === parts.length - 1 ? parts[i] : cloneEvent(parts[i]));
          out[i] = e;
        }
        return out;
      },
    };
  },
};
