/**
 * clone: an event becomes several, as in Logstash: the original, unchanged, followed by one
 * copy per entry of `clones`. A copy is marked with its clone name: a tag (ECS, the
 * default) or the `type` field (`ecsCompatibility: "disabled"`), and the success actions
 * (`addField`, `addTag`, …) run on the copies only. Every event goes on through the rest of
 * the chain; the runtime gives them the document ids `<topic>-<partition>-<offset>-<n>`
 * (n = 0 for the original), so a redelivered record overwrites its own copies.
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, cloneEvent, type Event } from '../../core/event.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';

export const cloneConfig = Type.Object(
  {
    clones: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 100, description: 'One copy is made per name, marked with it.' }),
    ecsCompatibility: Type.Union([Type.Literal('v1'), Type.Literal('v8'), Type.Literal('disabled')], {
      default: 'v1',
      description: '"v1"/"v8": the clone name is added to `tags`; "disabled": it is set as the `type` field (Logstash without ECS).',
    }),
    ...successActions,
  },
  { additionalProperties: false },
);

export const clone: FilterSpec<typeof cloneConfig> = {
  kind: 'filter',
  name: 'clone',
  summary: 'Make copies of an event, each marked with a name (tag or type)',
  config: cloneConfig,
  create(config): Filter {
    const ecs = config.ecsCompatibility !== 'disabled';
    const onSuccess = compileSuccessActions(config);
    return {
      process(event) {
        const out: Event[] = [event];
        for (const name of config.clones) {
          const copy = cloneEvent(event);
          if (ecs) addTag(copy, name);
          else copy.type = name;
          onSuccess(copy);
          out.push(copy);
        }
        return out;
      },
    };
  },
};
