/**
 * Logstash filter plugins → sluice filters, option by option. Each mapper reads the
 * plugin's options through `PluginOptions` (every option it does not read is reported) and
 * returns the sluice filter(s) it becomes, plus how success can be told apart from failure
 * so that the common options (`add_field`, `add_tag`, `remove_field`, `remove_tag`), which
 * Logstash applies only when a filter succeeds, can follow it (see `common.ts`).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ValueNode } from './ast.js';
import type { Json } from './input-kafka.js';
import { fieldRef, plainValue, PluginOptions, rubyRegex, scalarText, Unconvertible, type ConvertContext } from './values.js';

export type EcsMode = 'disabled' | 'v1' | 'v8';

export interface FilterConvertContext extends ConvertContext {
  ecs: EcsMode;
  /** Where relative file paths of the converted pipeline resolve (the output file's directory). */
  baseDir: string;
}

/**
 * How the converted filter signals failure:
 * - `tag`: through its `tagOnFailure` (set in `config`), so success is "no failure tag";
 * - `always`: the sluice filter has no failure case: the common options always apply;
 * - `native`: the sluice filter applies the common options itself (mutate).
 */
export type Success = 'tag' | 'always' | 'native';

export interface Mapped {
  name: string;
  config: Json;
  success: Success;
}

export type FilterMapper = (o: PluginOptions, ctx: FilterConvertContext) => Mapped;

function setIf(config: Json, key: string, value: unknown): void {
  if (value !== undefined) config[key] = value;
}

function tags(o: PluginOptions, config: Json, name = 'tag_on_failure'): void {
  setIf(config, 'tagOnFailure', o.list(name));
}

function exists(path: string, ctx: FilterConvertContext): boolean {
  return path.includes('${') || existsSync(isAbsolute(path) ? path : resolve(ctx.baseDir, path));
}

const MISSING = 'does not exist here; copy it next to the pipeline (or fix the path) and convert again';

/** A file the filter cannot work without: it must exist where sluice will look, or the filter is not converted. */
function existingPath(o: PluginOptions, option: string, path: string, ctx: FilterConvertContext): string {
  if (!exists(path, ctx)) o.fail(o.attr(option)!, `${path} ${MISSING}`);
  return path;
}

function regexSource(o: PluginOptions, option: string, source: string): string {
  const r = rubyRegex(source);
  if ('error' in r) return o.fail(o.attr(option)!, `/${source}/: ${r.error}`);
  if (r.flags) return o.fail(o.attr(option)!, `/${source}/: inline options (?i) have no equivalent here`);
  return r.source;
}

// ---------------------------------------------------------------- parsing filters

const grok: FilterMapper = (o, ctx) => {
  const config: Json = {};
  // Logstash 1.x wrote `pattern` (applied to message) instead of `match`.
  const legacy = o.has('pattern') && !o.has('match') ? o.list('pattern')?.map((p) => ['message', { kind: 'string', value: p, pos: o.pos }] as [string, ValueNode]) : undefined;
  const pairs = o.pairs('match') ?? legacy;
  if (!pairs || pairs.length === 0) throw new Unconvertible(o.pos, 'without match there is nothing to do');
  const match: Record<string, string[]> = {};
  for (const [field, v] of pairs) {
    const list = v.kind === 'array' ? v.items.map(scalarText) : [scalarText(v)];
    if (list.some((p) => p === undefined)) o.fail(o.attr('match')!, `expected patterns (strings) for "${field}"`);
    (match[fieldRef(field)] ??= []).push(...(list as string[]));
  }
  config.match = Object.fromEntries(Object.entries(match).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
  setIf(config, 'overwrite', o.list('overwrite')?.map(fieldRef));
  setIf(config, 'patternDefinitions', o.stringMap('pattern_definitions'));
  // Missing pattern directories are left out (and reported): the expressions may only use
  // the standard patterns; if they need the missing ones, sluice refuses the filter.
  const dirs = o.list('patterns_dir');
  const found = (dirs ?? []).filter((d) => exists(d, ctx));
  if (found.length) config.patternsDir = found;
  if (dirs && found.length < dirs.length) {
    ctx.report.unconverted(o.attr('patterns_dir')!.pos, 'filter grok option patterns_dir', `${dirs.filter((d) => !exists(d, ctx)).join(', ')} ${MISSING}`);
  }
  setIf(config, 'patternsFilesGlob', o.str('patterns_files_glob'));
  setIf(config, 'breakOnMatch', o.bool('break_on_match'));
  setIf(config, 'namedCapturesOnly', o.bool('named_captures_only'));
  setIf(config, 'keepEmptyCaptures', o.bool('keep_empty_captures'));
  setIf(config, 'target', o.field('target'));
  tags(o, config);
  // sluice's grok defaults to the ECS pattern set (v1 and v8 are the same set).
  const ecs = o.str('ecs_compatibility') ?? ctx.ecs;
  if (ecs === 'disabled') config.ecsCompatibility = 'disabled';
  else if (ecs !== 'v1' && ecs !== 'v8') o.fail(o.attr('ecs_compatibility')!, `unknown value "${ecs}"`);
  o.ignore('timeout_millis', 'sluice bounds every filter by the pipeline\'s limits.filterTimeoutMs (default 250 ms) instead');
  o.ignore('timeout_scope', 'see limits.filterTimeoutMs');
  o.ignore('tag_on_timeout', 'a timed-out grok is tagged _groktimeout (limits.onFilterTimeout)');
  return { name: 'grok', config, success: 'tag' };
};

const date: FilterMapper = (o) => {
  const a = o.attr('match');
  if (!a) throw new Unconvertible(o.pos, 'without match there is nothing to do');
  const items = a.value.kind === 'array' ? a.value.items.map(scalarText) : [scalarText(a.value)];
  if (items.length < 2 || items.some((i) => i === undefined)) o.fail(a, 'expected [ field, format, … ]');
  const config: Json = { field: fieldRef(items[0]!), formats: items.slice(1) };
  setIf(config, 'timezone', o.str('timezone'));
  setIf(config, 'locale', o.str('locale'));
  setIf(config, 'target', o.field('target'));
  tags(o, config);
  return { name: 'date', config, success: 'tag' };
};

const kv: FilterMapper = (o) => {
  const config: Json = {};
  setIf(config, 'field', o.field('source'));
  setIf(config, 'target', o.field('target'));
  setIf(config, 'fieldSplit', o.str('field_split'));
  setIf(config, 'valueSplit', o.str('value_split'));
  setIf(config, 'fieldSplitPattern', o.str('field_split_pattern'));
  setIf(config, 'valueSplitPattern', o.str('value_split_pattern'));
  setIf(config, 'includeKeys', o.list('include_keys'));
  setIf(config, 'excludeKeys', o.list('exclude_keys'));
  setIf(config, 'prefix', o.str('prefix'));
  setIf(config, 'trimKey', o.str('trim_key'));
  setIf(config, 'trimValue', o.str('trim_value'));
  for (const [from, to] of [['transform_key', 'transformKey'], ['transform_value', 'transformValue']] as const) {
    const t = o.str(from);
    if (t === undefined) continue;
    if (!['lowercase', 'uppercase', 'capitalize'].includes(t)) o.fail(o.attr(from)!, `unknown value "${t}"`);
    config[to] = t;
  }
  setIf(config, 'includeBrackets', o.bool('include_brackets'));
  setIf(config, 'allowDuplicateValues', o.bool('allow_duplicate_values'));
  setIf(config, 'allowEmptyValues', o.bool('allow_empty_values'));
  setIf(config, 'defaultKeys', o.stringMap('default_keys'));
  tags(o, config);
  o.unconverted('recursive', 'nested key=value parsing has no equivalent; add a second kv filter on the value');
  o.unconverted('remove_char_key', 'no equivalent; use trimKey for leading and trailing characters, or a mutate gsub');
  o.unconverted('remove_char_value', 'no equivalent; use trimValue for leading and trailing characters, or a mutate gsub');
  const ws = o.str('whitespace');
  if (ws !== undefined && ws !== 'lenient') o.unconverted('whitespace', 'strict whitespace has no equivalent (sluice is lenient)');
  o.ignore('timeout_millis', 'see limits.filterTimeoutMs');
  o.ignore('tag_on_timeout', 'see limits.onFilterTimeout');
  o.ignore('ecs_compatibility', 'no effect on kv');
  return { name: 'kv', config, success: 'tag' };
};

const json: FilterMapper = (o) => {
  const config: Json = {};
  setIf(config, 'field', o.field('source') ?? 'message');
  setIf(config, 'target', o.field('target'));
  setIf(config, 'skipOnInvalidJson', o.bool('skip_on_invalid_json'));
  tags(o, config);
  o.ignore('ecs_compatibility', 'no effect on json');
  return { name: 'json', config, success: 'tag' };
};

const csv: FilterMapper = (o) => {
  const config: Json = {};
  setIf(config, 'field', o.field('source'));
  setIf(config, 'columns', o.list('columns')?.map(fieldRef));
  setIf(config, 'separator', o.str('separator'));
  setIf(config, 'quoteChar', o.str('quote_char'));
  setIf(config, 'skipEmptyColumns', o.bool('skip_empty_columns'));
  setIf(config, 'skipEmptyRows', o.bool('skip_empty_rows'));
  setIf(config, 'skipHeader', o.bool('skip_header'));
  setIf(config, 'autogenerateColumnNames', o.bool('autogenerate_column_names'));
  const conv = o.stringMap('convert');
  if (conv) {
    const types: Record<string, string> = { integer: 'integer', float: 'float', boolean: 'boolean', string: 'string' };
    config.convert = Object.fromEntries(
      Object.entries(conv).map(([k, t]) => {
        if (!types[t]) o.fail(o.attr('convert')!, `the type "${t}" has no equivalent (integer, float, boolean, string)`);
        return [k, types[t]];
      }),
    );
  }
  setIf(config, 'target', o.field('target'));
  tags(o, config);
  o.unconverted('autodetect_column_names', 'column names from the first line have no equivalent (events are independent); list them in columns');
  o.ignore('ecs_compatibility', 'no effect on csv');
  return { name: 'csv', config, success: 'tag' };
};

const dissect: FilterMapper = (o) => {
  const config: Json = {};
  const mapping = o.stringMap('mapping');
  if (!mapping) throw new Unconvertible(o.pos, 'without mapping there is nothing to do');
  config.mapping = Object.fromEntries(Object.entries(mapping).map(([k, v]) => [fieldRef(k), v]));
  const conv = o.stringMap('convert_datatype');
  if (conv) {
    config.convertDatatype = Object.fromEntries(
      Object.entries(conv).map(([k, t]) => {
        if (t !== 'int' && t !== 'float') o.fail(o.attr('convert_datatype')!, `the type "${t}" has no equivalent (int, float)`);
        return [fieldRef(k), t];
      }),
    );
  }
  tags(o, config);
  return { name: 'dissect', config, success: 'tag' };
};

// ---------------------------------------------------------------- enrichment

const geoip: FilterMapper = (o, ctx) => {
  const field = o.field('source');
  if (field === undefined) throw new Unconvertible(o.pos, 'source is required');
  const config: Json = { field };
  const target = o.field('target');
  if (target !== undefined) config.target = target;
  else if (ctx.ecs === 'disabled') config.target = 'geoip';
  const db = o.str('database');
  if (db !== undefined) {
    if (exists(db, ctx)) config.databasePath = db;
    else ctx.report.unconverted(o.attr('database')!.pos, 'filter geoip option database', `${db} ${MISSING}; the bundled DB-IP City Lite database is used meanwhile`);
  }
  setIf(config, 'cacheSize', o.num('cache_size'));
  tags(o, config);
  if (ctx.ecs === 'disabled' || o.str('ecs_compatibility') === 'disabled') {
    ctx.report.note(o.pos, 'filter geoip', 'sluice writes ECS field names (geo.country_iso_code, geo.location, …) where Logstash without ECS wrote legacy ones (country_code2, location, …)');
  }
  const dbType = o.str('default_database_type');
  if (dbType === 'ASN') throw new Unconvertible(o.attr('default_database_type')!.pos, 'ASN lookups have no equivalent (sluice reads City and Country databases)');
  o.ignore('fields', 'sluice writes every available geo field');
  return { name: 'geoip', config, success: 'tag' };
};

const useragent: FilterMapper = (o, ctx) => {
  const config: Json = {};
  setIf(config, 'field', o.field('source'));
  const target = o.field('target');
  if (target !== undefined) config.target = target;
  else if (ctx.ecs === 'disabled') {
    ctx.report.note(o.pos, 'filter useragent', 'without target, Logstash (no ECS) wrote name, os, device… at the root; sluice writes ECS fields under user_agent');
  }
  setIf(config, 'cacheSize', o.num('lru_cache_size'));
  o.unconverted('prefix', 'no equivalent; sluice writes ECS fields under target');
  o.unconverted('regexes', 'custom regexes.yaml has no equivalent');
  o.ignore('ecs_compatibility', 'sluice always writes ECS fields');
  return { name: 'useragent', config, success: 'always' };
};

const FINGERPRINT_METHODS: Record<string, string> = {
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
  MD5: 'md5',
  MURMUR3: 'murmur3',
  MURMUR3_128: 'murmur3_128',
};

const fingerprint: FilterMapper = (o, ctx) => {
  const config: Json = {};
  const method = (o.str('method') ?? 'SHA256').toUpperCase();
  const target = o.field('target') ?? (ctx.ecs === 'disabled' ? 'fingerprint' : 'event.hash');
  if (method === 'UUID') return { name: 'uuid', config: { target }, success: 'always' };
  if (!FINGERPRINT_METHODS[method]) o.fail(o.attr('method')!, `"${method}" has no equivalent`);
  config.method = FINGERPRINT_METHODS[method];
  setIf(config, 'sources', o.list('source')?.map(fieldRef));
  setIf(config, 'key', o.str('key'));
  setIf(config, 'concatenateSources', o.bool('concatenate_sources'));
  setIf(config, 'concatenateAllFields', o.bool('concatenate_all_fields'));
  setIf(config, 'base64', o.bool('base64encode'));
  config.target = target;
  o.ignore('ecs_compatibility', 'only changes the default target, handled');
  return { name: 'fingerprint', config, success: 'always' };
};

const translate: FilterMapper = (o, ctx) => {
  const config: Json = {};
  const field = o.field('source') ?? o.field('field');
  if (field === undefined) throw new Unconvertible(o.pos, 'source (or field) is required');
  config.field = field;
  const target = o.field('target') ?? o.field('destination');
  // Logstash without ECS writes to "translation"; with ECS the target must be given or the source is overwritten.
  config.target = target ?? (ctx.ecs === 'disabled' ? 'translation' : field);
  if (target === undefined && ctx.ecs !== 'disabled') config.override = true;
  const dict = o.pairs('dictionary');
  if (dict) config.dictionary = Object.fromEntries(dict.map(([k, v]: [string, ValueNode]) => [k, plainValue(v)]));
  const path = o.str('dictionary_path');
  if (path !== undefined) {
    if (!/\.(json|csv)$/i.test(path)) o.fail(o.attr('dictionary_path')!, 'sluice reads .json and .csv dictionaries; convert the YAML file to JSON');
    config.dictionaryPath = existingPath(o, 'dictionary_path', path, ctx);
  }
  setIf(config, 'exact', o.bool('exact'));
  setIf(config, 'regex', o.bool('regex'));
  setIf(config, 'fallback', o.str('fallback'));
  const override = o.bool('override');
  if (override !== undefined) config.override = override;
  o.ignore('refresh_interval', 'sluice reads the dictionary once at start; restart to reload');
  o.ignore('refresh_behaviour', 'sluice reads the dictionary once at start');
  o.unconverted('iterate_on', 'no equivalent; split the array first');
  o.ignore('ecs_compatibility', 'only changes the default target, handled');
  return { name: 'translate', config, success: 'always' };
};

const drop: FilterMapper = (o) => {
  const config: Json = {};
  setIf(config, 'percentage', o.num('percentage'));
  return { name: 'drop', config, success: 'always' };
};

const split: FilterMapper = (o) => {
  const config: Json = {};
  setIf(config, 'field', o.field('field'));
  setIf(config, 'terminator', o.str('terminator'));
  setIf(config, 'target', o.field('target'));
  return { name: 'split', config, success: 'tag' };
};

const urldecode: FilterMapper = (o) => {
  const config: Json = {};
  setIf(config, 'field', o.field('field'));
  setIf(config, 'allFields', o.bool('all_fields'));
  setIf(config, 'charset', o.str('charset'));
  tags(o, config);
  return { name: 'urldecode', config, success: 'tag' };
};

const cidr: FilterMapper = (o) => {
  const config: Json = {};
  const address = o.list('address');
  if (!address) throw new Unconvertible(o.pos, 'address is required');
  config.address = address;
  setIf(config, 'network', o.list('network'));
  const path = o.str('network_path');
  if (path !== undefined) config.networkPath = path;
  setIf(config, 'separator', o.str('separator'));
  setIf(config, 'refreshInterval', o.num('refresh_interval'));
  return { name: 'cidr', config, success: 'native' };
};

const syslogPri: FilterMapper = (o, ctx) => {
  const config: Json = {};
  setIf(config, 'syslogPriFieldName', o.field('syslog_pri_field_name'));
  setIf(config, 'useLabels', o.bool('use_labels'));
  setIf(config, 'facilityLabels', o.list('facility_labels'));
  setIf(config, 'severityLabels', o.list('severity_labels'));
  const ecs = o.str('ecs_compatibility') ?? ctx.ecs;
  if (ecs === 'disabled' || ecs === 'v1' || ecs === 'v8') config.ecsCompatibility = ecs;
  return { name: 'syslog_pri', config, success: 'native' };
};

const deDot: FilterMapper = (o) => {
  const config: Json = {};
  setIf(config, 'fields', o.list('fields'));
  setIf(config, 'separator', o.str('separator'));
  setIf(config, 'nested', o.bool('nested'));
  setIf(config, 'recursive', o.bool('recursive'));
  return { name: 'de_dot', config, success: 'native' };
};

const prune: FilterMapper = (o) => {
  const config: Json = {};
  setIf(config, 'whitelistNames', o.list('whitelist_names'));
  setIf(config, 'blacklistNames', o.list('blacklist_names'));
  for (const [from, to] of [['whitelist_values', 'whitelistValues'], ['blacklist_values', 'blacklistValues']] as const) {
    const pairs = o.pairs(from);
    if (pairs) config[to] = Object.fromEntries(pairs.map(([k, v]) => [k, plainValue(v)]));
  }
  setIf(config, 'interpolate', o.bool('interpolate'));
  return { name: 'prune', config, success: 'native' };
};

const uuid: FilterMapper = (o) => {
  const target = o.field('target');
  if (target === undefined) throw new Unconvertible(o.pos, 'target is required');
  const config: Json = { target };
  setIf(config, 'overwrite', o.bool('overwrite'));
  return { name: 'uuid', config, success: 'native' };
};

const clone: FilterMapper = (o, ctx) => {
  const clones = o.list('clones');
  if (!clones || clones.length === 0) throw new Unconvertible(o.pos, 'without clones Logstash makes no copy; nothing to convert');
  const config: Json = { clones };
  const ecs = o.str('ecs_compatibility') ?? ctx.ecs;
  if (ecs === 'disabled' || ecs === 'v1' || ecs === 'v8') config.ecsCompatibility = ecs;
  return { name: 'clone', config, success: 'native' };
};

const jsonEncode: FilterMapper = (o) => {
  const source = o.field('source');
  if (source === undefined) throw new Unconvertible(o.pos, 'source is required');
  const config: Json = { source };
  setIf(config, 'target', o.field('target'));
  return { name: 'json_encode', config, success: 'native' };
};

const truncate: FilterMapper = (o) => {
  const config: Json = {};
  const len = o.num('length_bytes');
  if (len === undefined) throw new Unconvertible(o.pos, 'length_bytes is required');
  config.lengthBytes = len;
  setIf(config, 'fields', o.list('fields')?.map(fieldRef));
  return { name: 'truncate', config, success: 'always' };
};

// ---------------------------------------------------------------- mutate

/** Logstash's mutate: sluice runs the operations in the same fixed order, so one mutate stays one. */
const mutate: FilterMapper = (o) => {
  const config: Json = {};
  const fieldKeys = (m: Record<string, string> | undefined, valuesAreFields = false) =>
    m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [fieldRef(k), valuesAreFields ? fieldRef(v) : v])) : undefined;
  setIf(config, 'coerce', fieldKeys(o.stringMap('coerce')));
  setIf(config, 'rename', fieldKeys(o.stringMap('rename'), true));
  setIf(config, 'update', fieldKeys(o.stringMap('update')));
  setIf(config, 'replace', fieldKeys(o.stringMap('replace')));
  const conv = o.stringMap('convert');
  if (conv) {
    const types = ['integer', 'float', 'boolean', 'string', 'integer_eu', 'float_eu'];
    config.convert = Object.fromEntries(
      Object.entries(conv).map(([k, t]) => {
        if (!types.includes(t)) o.fail(o.attr('convert')!, `the type "${t}" has no equivalent (${types.join(', ')})`);
        return [fieldRef(k), t];
      }),
    );
  }
  const gsub = o.list('gsub');
  if (gsub) {
    if (gsub.length % 3 !== 0) o.fail(o.attr('gsub')!, 'expected [ field, pattern, replacement, … ] (a multiple of three items)');
    const ops = [];
    for (let k = 0; k < gsub.length; k += 3) ops.push({ field: fieldRef(gsub[k]), pattern: regexSource(o, 'gsub', gsub[k + 1]), replacement: gsub[k + 2] });
    config.gsub = ops;
  }
  for (const [from, to] of [['uppercase', 'uppercase'], ['capitalize', 'capitalize'], ['lowercase', 'lowercase'], ['strip', 'strip']] as const) {
    setIf(config, to, o.list(from)?.map(fieldRef));
  }
  setIf(config, 'split', fieldKeys(o.stringMap('split')));
  setIf(config, 'join', fieldKeys(o.stringMap('join')));
  setIf(config, 'merge', fieldKeys(o.stringMap('merge'), true));
  setIf(config, 'copy', fieldKeys(o.stringMap('copy'), true));
  tags(o, config);
  const removed = o.list('remove');
  if (removed) config.removeField = removed.map(fieldRef);
  return { name: 'mutate', config, success: 'native' };
};

const xml: FilterMapper = (o) => {
  const source = o.field('source');
  if (source === undefined) throw new Unconvertible(o.pos, 'source is required');
  const config: Json = { source };
  setIf(config, 'target', o.field('target'));
  setIf(config, 'storeXml', o.bool('store_xml'));
  const xpath = o.stringMap('xpath');
  if (xpath) config.xpath = Object.fromEntries(Object.entries(xpath).map(([k, v]) => [k, fieldRef(v)]));
  setIf(config, 'forceArray', o.bool('force_array'));
  setIf(config, 'forceContent', o.bool('force_content'));
  setIf(config, 'removeNamespaces', o.bool('remove_namespaces'));
  setIf(config, 'suppressEmpty', o.bool('suppress_empty'));
  tags(o, config);
  o.unconverted('namespaces', 'XPath with namespace prefixes has no equivalent; use remove_namespaces and unprefixed names');
  o.unconverted('parse_options', 'no equivalent (sluice parses strictly)');
  return { name: 'xml', config, success: 'native' };
};

const dns: FilterMapper = (o) => {
  const config: Json = {};
  setIf(config, 'reverse', o.list('reverse')?.map(fieldRef));
  setIf(config, 'resolve', o.list('resolve')?.map(fieldRef));
  const action = o.str('action');
  if (action !== undefined) {
    if (action !== 'append' && action !== 'replace') o.fail(o.attr('action')!, `unknown value "${action}"`);
    config.action = action;
  }
  const ns = o.attr('nameserver');
  if (ns) {
    if (ns.value.kind === 'hash') {
      const m = o.pairs('nameserver')!;
      const get = (k: string) => m.find(([key]) => key === k)?.[1];
      const list = (v: ValueNode | undefined) => (v ? (plainValue(v) instanceof Array ? (plainValue(v) as unknown[]).map(String) : [String(plainValue(v))]) : undefined);
      const server: Json = { address: list(get('address')) ?? [] };
      setIf(server, 'search', list(get('search')));
      const ndots = get('ndots');
      if (ndots) server.ndots = Number(plainValue(ndots));
      config.nameserver = server;
    } else config.nameserver = { address: o.list('nameserver') };
  }
  setIf(config, 'hostsfile', o.list('hostsfile'));
  setIf(config, 'timeout', o.num('timeout'));
  setIf(config, 'maxRetries', o.num('max_retries'));
  setIf(config, 'hitCacheSize', o.num('hit_cache_size'));
  setIf(config, 'hitCacheTtl', o.num('hit_cache_ttl'));
  setIf(config, 'failedCacheSize', o.num('failed_cache_size'));
  setIf(config, 'failedCacheTtl', o.num('failed_cache_ttl'));
  setIf(config, 'tagOnTimeout', o.list('tag_on_timeout'));
  return { name: 'dns', config, success: 'native' };
};

export const FILTER_MAPPERS: Record<string, FilterMapper> = {
  grok,
  date,
  kv,
  json,
  csv,
  dissect,
  geoip,
  useragent,
  fingerprint,
  translate,
  drop,
  split,
  urldecode,
  truncate,
  mutate,
  cidr,
  syslog_pri: syslogPri,
  de_dot: deDot,
  prune,
  uuid,
  clone,
  json_encode: jsonEncode,
  xml,
  dns,
};

/** Filters with no equivalent, and what to do instead. */
export const NO_EQUIVALENT: Record<string, string> = {
  ruby: 'arbitrary Ruby code has no equivalent; rewrite it with mutate, conditions and the other filters, or pre-process the records',
  aggregate: 'aggregating several events into one has no equivalent (events are independent so that offsets can be committed)',
  elasticsearch: 'lookups in Elasticsearch have no equivalent; enrich at ingest time with an enrich processor (output ingestPipeline)',
  jdbc_streaming: 'database lookups have no equivalent; export the table to a translate dictionary',
  jdbc_static: 'database lookups have no equivalent; export the table to a translate dictionary',
  memcached: 'memcached lookups have no equivalent; use a translate dictionary',
  http: 'HTTP calls per event have no equivalent',
  throttle: 'throttling has no equivalent',
  metrics: 'sluice exports metrics itself (/metrics)',
  sleep: 'no equivalent',
  multiline: 'joining lines has no equivalent in sluice filters',
  environment: 'put environment values in with mutate add_field and "${VAR}"',
  alter: 'use mutate (replace, coerce) and conditions',
  extractnumbers: 'use grok',
  i18n: 'no equivalent',
};
