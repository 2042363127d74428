/**
 * drop: drops the event on purpose (it counts as settled: nothing is indexed or
 * dead-lettered). Usually guarded by the filter's `when` condition. With `percentage` below
 * 100 it samples: each event is dropped with that probability (random, not deterministic,
 * so a redelivered record may be kept or dropped differently).
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';

export const dropConfig = Type.Object(
  {
    percentage: Type.Number({ minimum: 0, maximum: 100, default: 100, description: 'Percentage of events dropped (random sampling); 100 drops every event.' }),
  },
  { additionalProperties: false },
);

export const drop: FilterSpec<typeof dropConfig> = {
  kind: 'filter',
  name: 'drop',
  summary: 'Drop events (optionally a random percentage of them)',
  config: dropConfig,
  create(config): Filter {
    const p = config.percentage;
    if (p >= 100) return { process: () => null };
    if (p <= 0) return { process: () => undefined };
    const threshold = p / 100;
    return { process: () => (Math.random() < threshold ? null : undefined) };
  },
};
