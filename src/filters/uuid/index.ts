/**
 * uuid: sets a field to a random UUID (version 4), as Logstash's uuid filter does. The value
 * is new each time the record is processed, so it is no idempotent document id: a record
 * redelivered after a crash gets another one (use the default id or `fingerprint` for that).
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { getField, parsePath, setField } from '../../core/event.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';

export const uuidConfig = Type.Object(
  {
    target: Type.String({ minLength: 1, description: 'Field that receives the UUID (e.g. `event.id`).' }),
    overwrite: Type.Boolean({ default: false, description: 'Replace a value the field already has (by default it is kept).' }),
    ...successActions,
  },
  { additionalProperties: false },
);

export const uuid: FilterSpec<typeof uuidConfig> = {
  kind: 'filter',
  name: 'uuid',
  summary: 'Set a field to a random UUID (v4)',
  config: uuidConfig,
  create(config): Filter {
    const target = parsePath(config.target);
    const { overwrite } = config;
    const onSuccess = compileSuccessActions(config);
    return {
      process(event) {
        if (!overwrite && getField(event, target) !== undefined) return;
        setField(event, target, randomUUID());
        onSuccess(event);
      },
    };
  },
};
