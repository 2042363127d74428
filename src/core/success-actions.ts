/**
 * What Logstash calls the common options of every filter (`add_field`, `add_tag`,
 * `remove_field`, `remove_tag`): changes made to an event only when the filter succeeded
 * on it (cidr: the address matched; syslog_pri: the priority parsed). The filters that act
 * mostly through them spread `successActions` into their schema and call the compiled
 * function; names and values are templates (`%{field}`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { addTag, deleteField, getField, parsePath, removeTag, setField, type Event, type FieldPath } from './event.js';
import { compileTemplate } from './template.js';

export const successActions = {
  addField: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]), {
      description: 'On success, `{ field: value }` to add (templates); adding to a field that exists appends, making it an array (Logstash `add_field`).',
    }),
  ),
  addTag: Type.Optional(Type.Array(Type.String(), { description: 'On success, tags to add (templates; Logstash `add_tag`).' })),
  removeField: Type.Optional(Type.Array(Type.String(), { description: 'On success, fields to remove (templates; Logstash `remove_field`).' })),
  removeTag: Type.Optional(Type.Array(Type.String(), { description: 'On success, tags to remove (templates; Logstash `remove_tag`).' })),
};

const schema = Type.Object(successActions);
export type SuccessActions = Static<typeof schema>;

/** The actions in Logstash's order (add_field, remove_field, add_tag, remove_tag); a no-op when none is configured. */
export function compileSuccessActions(config: SuccessActions): (event: Event) => void {
  const ops: ((e: Event) => void)[] = [];
  for (const [name, value] of Object.entries(config.addField ?? {})) {
    const nameT = compileTemplate(name);
    const values = (Array.isArray(value) ? value : [value]).map((v) => compileTemplate(v));
    ops.push((e) => {
      const path = pathOrUndefined(nameT.render(e));
      if (!path) return;
      for (const t of values) {
        const v = t.render(e);
        const current = getField(e, path);
        if (current === undefined) setField(e, path, Array.isArray(value) ? [v] : v);
        else if (Array.isArray(current)) current.push(v);
        else setField(e, path, [current, v]);
      }
    });
  }
  for (const name of config.removeField ?? []) {
    const t = compileTemplate(name);
    ops.push((e) => {
      const path = pathOrUndefined(t.render(e));
      if (path) deleteField(e, path);
    });
  }
  for (const tag of config.addTag ?? []) {
    const t = compileTemplate(tag);
    ops.push((e) => addTag(e, t.render(e)));
  }
  for (const tag of config.removeTag ?? []) {
    const t = compileTemplate(tag);
    ops.push((e) => removeTag(e, t.render(e)));
  }
  if (ops.length === 0) return () => {};
  return (e) => {
    for (const op of ops) op(e);
  };
}

/** A name rendered from event data may be no valid path (`a..b`, `__proto__`): then the action is skipped. */
function pathOrUndefined(ref: string): FieldPath | undefined {
  if (ref === '') return undefined;
  try {
    return parsePath(ref);
  } catch {
    return undefined;
  }
}
