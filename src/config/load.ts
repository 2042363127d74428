/**
 * From a pipeline file to a checked pipeline definition: parse, resolve environment
 * references, validate the file's own settings and each component's config against that
 * component's schema, compile `when` conditions. Every problem is collected and reported
 * with `file:line:col`, so one `sluice validate` run shows them all.
 */
import { basename, dirname, resolve } from 'node:path';
import type { FilterSpec, InputSpec, OutputSpec } from '../core/component.js';
import { compileCondition, ConditionSyntaxError, type Condition } from '../core/condition.js';
import { isPlainObject } from '../core/event.js';
import { conditionalBlockSchema, filterCommonSchema, MAX_BLOCK_DEPTH, pipelineShellSchema, deadLetterSchema, limitsSchema, type DeadLetterSettings, type LimitsSettings } from './pipeline-schema.js';
import { errorAt, formatPath, keyNodeAt, materialize, nodeAt, readSource, SourceErrors, type Env, type PathSegment, type SourceDoc, type SourceError } from './source.js';
import { suggest, validateAt } from './validator.js';
import { registerSecretsIn } from './secrets.js';
import { resolvePemPaths } from './tls.js';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';

export interface Components {
  inputs: InputSpec[];
  filters: FilterSpec[];
  outputs: OutputSpec[];
}

export interface Placed<S> {
  spec: S;
  config: any;
}

export interface FilterStep extends Placed<FilterSpec> {
  /** `id` if given, else `<index>:<type>`; used in logs and the `sluice.dlq.stage` header. */
  label: string;
  when?: Condition;
  /** Where the step stands in the file, for errors raised while building it. */
  position: string;
}

/** A conditional block: an event takes the first branch whose `when` holds, else `otherwise`. */
export interface ConditionalStep {
  /** `id` if given, else `<index>:if`; the default labels of the filters inside start with it. */
  label: string;
  branches: { when: Condition; steps: PipelineStep[] }[];
  otherwise: PipelineStep[];
  position: string;
}

export type PipelineStep = FilterStep | ConditionalStep;

export function isConditional(step: PipelineStep): step is ConditionalStep {
  return 'branches' in step;
}

export interface PipelineDefinition {
  id: string;
  file: string;
  baseDir: string;
  input: Placed<InputSpec>;
  /** Filter steps and conditional blocks, in order. */
  filters: PipelineStep[];
  output: Placed<OutputSpec>;
  deadLetter: DeadLetterSettings & { topic: string };
  limits: LimitsSettings;
}

/**
 * Every schema loadPipeline validates against (each call of validateAt below): the build
 * precompiles a validator for each (config/write-validators.ts); one missing here is compiled
 * at every start instead.
 */
export function validatedSchemas(components: Components): TSchema[] {
  return [
    pipelineShellSchema,
    conditionalBlockSchema,
    ...Object.values(filterCommonSchema),
    ...[...components.inputs, ...components.filters, ...components.outputs].map((spec) => spec.config),
  ];
}

export function loadPipeline(file: string, components: Components, env: Env = process.env, text?: string): PipelineDefinition {
  const doc = readSource(file, text);
  const errors: SourceError[] = [];
  const value = materialize(doc, env, errors);
  if (!isPlainObject(value)) {
    throw new SourceErrors([errorAt(doc, doc.root?.offset ?? 0, '$', 'a pipeline file must hold a JSON object')]);
  }
  errors.push(...validateAt(doc, [], pipelineShellSchema, value, 'the pipeline'));

  const input = placeOne(doc, ['input'], value.input, components.inputs, 'input', errors);
  const output = placeOne(doc, ['output'], value.output, components.outputs, 'output', errors);
  const filters = Array.isArray(value.filters) ? placeEntries(doc, ['filters'], '', value.filters, components.filters, errors, 0) : [];
  if (errors.length) throw new SourceErrors(sortErrors(errors));

  const id = value.id as string;
  const deadLetter = (value.deadLetter ?? Value.Default(deadLetterSchema, {})) as DeadLetterSettings;
  return {
    id,
    file,
    baseDir: dirname(resolve(file)),
    input: input!,
    filters,
    output: output!,
    deadLetter: { ...deadLetter, topic: deadLetter.topic ?? `${id}.dlq` },
    limits: (value.limits ?? Value.Default(limitsSchema, {})) as LimitsSettings,
  };
}

/** Offset in a raw JSON string literal (quotes included) of the decoded character at `index`. */
function rawOffset(literal: string, index: number): number {
  let raw = 1; // the opening quote
  for (let decoded = 0; decoded < index && raw < literal.length - 1; decoded++) {
    if (literal[raw] === '\\') raw += literal[raw + 1] === 'u' ? 6 : 2;
    else raw++;
  }
  return raw;
}

function sortErrors(errors: SourceError[]): SourceError[] {
  return [...errors].sort((a, b) => a.line - b.line || a.column - b.column);
}

function placeOne<S extends InputSpec | OutputSpec>(
  doc: SourceDoc,
  path: PathSegment[],
  value: unknown,
  specs: S[],
  what: string,
  errors: SourceError[],
): Placed<S> | undefined {
  if (value === undefined) return undefined; // reported as missing by the shell schema
  const node = nodeAt(doc, path);
  const names = specs.map((s) => s.name);
  if (!isPlainObject(value) || Object.keys(value).length !== 1) {
    errors.push(errorAt(doc, node?.offset ?? 0, formatPath(path), `expected an object with exactly one key naming the ${what} (one of: ${names.join(', ')})`));
    return undefined;
  }
  const [name] = Object.keys(value);
  const spec = specs.find((s) => s.name === name);
  if (!spec) {
    errors.push(unknownComponent(doc, path, name, names, what));
    return undefined;
  }
  const config = value[name];
  // Before validation, so that a secret is known (and scrubbed) even when the file is invalid.
  registerSecretsIn(spec.config, config);
  const errs = validateAt(doc, [...path, name], spec.config, config, `the ${name} ${what}`);
  errors.push(...errs);
  if (errs.length) return undefined;
  resolvePemPaths(spec.config, config, dirname(resolve(doc.file)));
  return { spec, config };
}

function unknownComponent(doc: SourceDoc, path: PathSegment[], name: string, names: string[], what: string): SourceError {
  const hint = suggest(name, names);
  const keyNode = keyNodeAt(doc, path, name);
  return errorAt(
    doc,
    keyNode?.offset ?? 0,
    formatPath([...path, name]),
    `unknown ${what} "${name}"${hint ? `; did you mean "${hint}"?` : ''} (available: ${names.join(', ')})`,
  );
}

const COMMON_KEYS = Object.keys(filterCommonSchema);

/**
 * The entries of one filter list (the top-level `filters` or a branch of a block).
 * `labelPrefix` is empty at the top level and `<block label>.then.` (etc.) inside a block,
 * so a default label says where the filter stands.
 */
function placeEntries(doc: SourceDoc, path: PathSegment[], labelPrefix: string, entries: unknown[], specs: FilterSpec[], errors: SourceError[], depth: number): PipelineStep[] {
  const steps: PipelineStep[] = [];
  entries.forEach((entry, i) => {
    const step = isPlainObject(entry) && ('if' in entry || 'then' in entry)
      ? placeConditional(doc, [...path, i], `${labelPrefix}${i}`, entry, specs, errors, depth + 1)
      : placeFilter(doc, [...path, i], `${labelPrefix}${i}`, entry, specs, errors);
    if (step) steps.push(step);
  });
  return steps;
}

function positionText(doc: SourceDoc, path: PathSegment[]): string {
  const pos = errorAt(doc, nodeAt(doc, path)?.offset ?? 0, formatPath(path), '');
  return `${pos.file}:${pos.line}:${pos.column}: ${pos.path}`;
}

/** Compiles a condition string found at `path`; a syntax error is reported at its exact character. */
function conditionAt(doc: SourceDoc, path: PathSegment[], text: string, errors: SourceError[]): Condition | undefined {
  try {
    return compileCondition(text);
  } catch (e) {
    if (!(e instanceof ConditionSyntaxError)) throw e;
    const node = nodeAt(doc, path);
    const offset = node ? node.offset + rawOffset(doc.text.slice(node.offset, node.offset + node.length), e.position) : 0;
    errors.push(errorAt(doc, offset, formatPath(path), `invalid condition: ${e.detail}`));
    return undefined;
  }
}

function placeConditional(doc: SourceDoc, path: PathSegment[], index: string, entry: Record<string, unknown>, specs: FilterSpec[], errors: SourceError[], depth: number): ConditionalStep | undefined {
  if (depth > MAX_BLOCK_DEPTH) {
    errors.push(errorAt(doc, nodeAt(doc, path)?.offset ?? 0, formatPath(path), `conditional blocks nested deeper than ${MAX_BLOCK_DEPTH} levels`));
    return undefined;
  }
  const before = errors.length;
  errors.push(...validateAt(doc, path, conditionalBlockSchema, entry, 'the conditional block'));
  // Whatever is wrong with the block itself, the filters in its lists are still checked, so one run shows every error.
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const label = typeof entry.id === 'string' ? entry.id : `${index}:if`;
  const prefix = typeof entry.id === 'string' ? `${entry.id}.` : `${index}.`;
  const branches: ConditionalStep['branches'] = [];
  const branch = (at: PathSegment[], b: Record<string, unknown>, labelPrefix: string) => {
    const when = typeof b.if === 'string' && b.if !== '' ? conditionAt(doc, [...at, 'if'], b.if, errors) : undefined;
    const steps = placeEntries(doc, [...at, 'then'], labelPrefix, list(b.then), specs, errors, depth);
    if (when) branches.push({ when, steps });
  };
  branch(path, entry, `${prefix}then.`);
  list(entry.elseIf).forEach((b, k) => {
    if (isPlainObject(b)) branch([...path, 'elseIf', k], b, `${prefix}elseIf.${k}.then.`);
  });
  const otherwise = placeEntries(doc, [...path, 'else'], `${prefix}else.`, list(entry.else), specs, errors, depth);
  if (errors.length > before) return undefined;
  return { label, branches, otherwise, position: positionText(doc, path) };
}

function placeFilter(doc: SourceDoc, path: PathSegment[], index: string, entry: unknown, specs: FilterSpec[], errors: SourceError[]): FilterStep | undefined {
  const node = nodeAt(doc, path);
  const names = specs.map((s) => s.name);
  if (!isPlainObject(entry)) {
    errors.push(errorAt(doc, node?.offset ?? 0, formatPath(path), `expected an object such as {"mutate": {...}} or a conditional block {"if": ..., "then": [...]}, found ${Array.isArray(entry) ? 'an array' : typeof entry}`));
    return undefined;
  }
  const typeKeys = Object.keys(entry).filter((k) => !COMMON_KEYS.includes(k));
  if (typeKeys.length !== 1) {
    const msg = typeKeys.length === 0
      ? `a filter needs exactly one key naming its type (one of: ${names.join(', ')})`
      : `a filter has exactly one type key, found ${typeKeys.map((k) => `"${k}"`).join(', ')} (split them into separate filters; common keys: ${COMMON_KEYS.join(', ')})`;
    errors.push(errorAt(doc, node?.offset ?? 0, formatPath(path), msg));
    return undefined;
  }
  const [name] = typeKeys;
  const spec = specs.find((s) => s.name === name);
  if (!spec) {
    errors.push(unknownComponent(doc, path, name, names, 'filter'));
    return undefined;
  }
  const before = errors.length;
  for (const key of COMMON_KEYS) {
    if (entry[key] !== undefined) errors.push(...validateAt(doc, [...path, key], (filterCommonSchema as any)[key], entry[key], `the filter's "${key}"`));
  }
  registerSecretsIn(spec.config, entry[name]);
  errors.push(...validateAt(doc, [...path, name], spec.config, entry[name], `the ${name} filter`));
  const when = typeof entry.when === 'string' ? conditionAt(doc, [...path, 'when'], entry.when, errors) : undefined;
  if (errors.length > before) return undefined;
  const label = typeof entry.id === 'string' ? entry.id : `${index}:${name}`;
  return { spec, config: entry[name], label, when, position: positionText(doc, path) };
}

export function pipelineLabel(def: PipelineDefinition): string {
  return `${def.id} (${basename(def.file)})`;
}
