/** Helpers for the components' unit tests. */
import { pino } from 'pino';
import type { ComponentContext, Filter, FilterSpec } from '../core/component.js';
import type { Event } from '../core/event.js';
import { Value } from '@sinclair/typebox/value';

export function testContext(overrides: Partial<ComponentContext> = {}): ComponentContext {
  return { pipelineId: 'test', baseDir: process.cwd(), logger: pino({ level: 'silent' }), ...overrides };
}

/** Builds a filter from a config after checking the config against the spec's schema. */
export async function makeFilter(spec: FilterSpec, config: unknown, ctx = testContext()): Promise<Filter> {
  const withDefaults = Value.Default(spec.config, structuredClone(config));
  const errors = [...Value.Errors(spec.config, withDefaults)];
  if (errors.length) throw new Error(`invalid ${spec.name} config: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  return spec.create(withDefaults as never, ctx);
}

/** Runs one event through a filter and returns the events that come out ([] when dropped). */
export function runFilter(filter: Filter, event: Event): Event[] {
  const result = filter.process(event);
  if (result === undefined) return [event];
  if (result === null) return [];
  return result;
}
