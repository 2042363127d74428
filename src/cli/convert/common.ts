/**
 * The options every Logstash filter has: `add_field`, `add_tag`, `remove_field`,
 * `remove_tag` (applied only when the filter succeeds) and `id`.
 *
 * sluice's mutate has the four itself (applied after its operations, as Logstash does), so
 * for mutate they stay in the same filter. For a filter that can fail, success is made
 * visible with a marker tag: the filter's `tagOnFailure` gets `_sluice_failed_<n>`, and two
 * mutates follow it: one that applies the options unless the marker is there, one that
 * removes the marker. For a filter that cannot fail, one mutate follows it.
 */
import { components } from '../../registry.js';
import type { Mapped, FilterConvertContext } from './filters.js';
import type { Json } from './input-kafka.js';
import { fieldRef, templateValue, type PluginOptions } from './values.js';

export interface CommonOptions {
  addField?: Record<string, string | string[]>;
  addTag?: string[];
  removeField?: string[];
  removeTag?: string[];
  id?: string;
}

export function commonOptions(o: PluginOptions): CommonOptions {
  const common: CommonOptions = {};
  const add = o.pairs('add_field');
  if (add) {
    common.addField = {};
    for (const [k, v] of add) {
      const value = templateValue(v);
      const prev = common.addField[k];
      // A repeated key adds several values, as Logstash does.
      common.addField[k] = prev === undefined ? value : [...[prev].flat(), ...[value].flat()];
    }
  }
  const addTag = o.list('add_tag');
  if (addTag) common.addTag = addTag;
  const removeField = o.list('remove_field');
  if (removeField) common.removeField = removeField.map((f) => (f.includes('%{') ? f : fieldRef(f)));
  const removeTag = o.list('remove_tag');
  if (removeTag) common.removeTag = removeTag;
  const id = o.str('id');
  if (id !== undefined) common.id = id;
  return common;
}

function hasEffects(c: CommonOptions): boolean {
  return Boolean(c.addField || c.addTag || c.removeField || c.removeTag);
}

function effects(c: CommonOptions): Json {
  const m: Json = {};
  if (c.addField) m.addField = c.addField;
  if (c.removeField) m.removeField = c.removeField;
  if (c.addTag) m.addTag = c.addTag;
  if (c.removeTag) m.removeTag = c.removeTag;
  return m;
}

function schemaProperties(name: string): Record<string, { default?: unknown }> | undefined {
  const spec = components.filters.find((f) => f.name === name);
  return (spec?.config as { properties?: Record<string, { default?: unknown }> } | undefined)?.properties;
}

/** Does the sluice filter apply Logstash's success actions itself (src/core/success-actions.ts)? */
function hasSuccessActions(name: string): boolean {
  const props = schemaProperties(name);
  return Boolean(props?.addTag && props.addField && props.removeField && props.removeTag);
}

/** The default `tagOnFailure` of a sluice filter, from its schema. */
function defaultFailureTags(name: string): string[] {
  const tags = schemaProperties(name)?.tagOnFailure?.default;
  return Array.isArray(tags) ? (tags as string[]) : [];
}

/** The sluice filter entries for a converted filter and its common options. */
export function withCommon(mapped: Mapped, common: CommonOptions, ctx: FilterConvertContext): Json[] {
  const main: Json = { [mapped.name]: mapped.config };
  if (common.id !== undefined) main.id = common.id;
  if (!hasEffects(common)) return [main];
  if (mapped.success === 'native' || hasSuccessActions(mapped.name)) {
    const config = mapped.config;
    for (const [k, v] of Object.entries(effects(common))) {
      if (k === 'addField' && config.addField) config.addField = { ...(config.addField as Json), ...(v as Json) };
      else config[k] = Array.isArray(config[k]) ? [...(config[k] as string[]), ...(v as string[])] : v;
    }
    return [main];
  }
  if (mapped.success === 'always') return [main, { mutate: effects(common) }];
  const marker = ctx.fresh('_sluice_failed_');
  const failureTags = (mapped.config.tagOnFailure as string[] | undefined) ?? defaultFailureTags(mapped.name);
  mapped.config.tagOnFailure = [...failureTags, marker];
  return [
    main,
    { mutate: effects(common), when: `not ("${marker}" in [tags])` },
    { mutate: { removeTag: [marker] }, when: `"${marker}" in [tags]` },
  ];
}

/**
 * What an unconverted filter becomes with `--allow-partial`: a tag saying so, plus the
 * filter's own tag and field options, so that conditions testing them still route.
 */
export function placeholderFor(plugin: string, common: CommonOptions): Json {
  const m = effects(common);
  m.addTag = [`_sluice_unconverted_${plugin.replace(/[^A-Za-z0-9_]/g, '_')}`, ...((m.addTag as string[]) ?? [])];
  const entry: Json = { mutate: m };
  if (common.id !== undefined) entry.id = common.id;
  return entry;
}
