/**
 * json_encode: serializes a field's value to a JSON string, in place or into `target`
 * (Logstash's json_encode). A missing field leaves the event unchanged.
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { getField, parsePath, setField } from '../../core/event.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';

export const jsonEncodeConfig = Type.Object(
  {
    source: Type.String({ minLength: 1, description: 'Field whose value is serialized.' }),
    target: Type.Optional(Type.String({ minLength: 1, description: 'Field that receives the JSON text; default: `source` itself.' })),
    ...successActions,
  },
  { additionalProperties: false },
);

export const json_encode: FilterSpec<typeof jsonEncodeConfig> = {
  kind: 'filter',
  name: 'json_encode',
  summary: 'Serialize a field to a JSON string',
  config: jsonEncodeConfig,
  create(config): Filter {
    const source = parsePath(config.source);
    const target = config.target !== undefined ? parsePath(config.target) : source;
    const onSuccess = compileSuccessActions(config);
    return {
      process(event) {
        const value = getField(event, source);
        if (value === undefined) return;
        // Events are plain JSON (decoded or built by filters), so stringify cannot meet a cycle or a BigInt.
        setField(event, target, JSON.stringify(value));
        onSuccess(event);
      },
    };
  },
};
