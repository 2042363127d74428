/**
 * Logstash's elasticsearch output → sluice's elasticsearch output. The options split in two:
 * the connection (hosts, credentials, TLS, timeouts), which must be the same for every
 * elasticsearch output of a pipeline since sluice has one output, and the per-event
 * destination (index, document id, routing, ingest pipeline, action), which may differ
 * between outputs in different branches and is then routed through `@metadata`.
 */
import { existsSync } from 'node:fs';
import type { PluginNode } from './ast.js';
import { fieldRef, hasPlaceholder, PluginOptions, Unconvertible, type ConvertContext } from './values.js';
import type { Json } from './input-kafka.js';

export interface EsConversion {
  connection: Json;
  destination: { index: string; documentId?: string; routing?: string; ingestPipeline?: string; opType?: 'index' | 'create' };
}

const TUNING = new Set([
  'workers',
  'flush_size',
  'idle_flush_time',
  'pool_max',
  'pool_max_per_route',
  'resurrect_delay',
  'validate_after_inactivity',
  'sniffing',
  'sniffing_delay',
  'sniffing_path',
  'healthcheck_path',
  'http_compression',
  'compression_level',
  'custom_headers',
  'silence_errors_in_log',
  'dlq_on_failed_indexname_interpolation',
  'dlq_custom_codes',
  'retry_on_conflict',
]);

const TEMPLATES = ['manage_template', 'template', 'template_name', 'template_overwrite', 'template_api', 'ilm_enabled', 'ilm_rollover_alias', 'ilm_pattern', 'ilm_policy'];

/** A Logstash host (`localhost:9200`, `https://es:9200/`, `${ES_HOST:es:9200}`) as a sluice node URL. */
function nodeUrl(host: string, https: boolean): string {
  const scheme = https ? 'https://' : 'http://';
  const onlyPlaceholder = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/.exec(host);
  if (onlyPlaceholder) {
    const [, name, def] = onlyPlaceholder;
    return def === undefined ? host : `\${${name}:-${/^https?:\/\//.test(def) ? def : scheme + def}}`;
  }
  if (/^https?:\/\//i.test(host)) return host.replace(/\/$/, '');
  if (host.startsWith('//')) return `${scheme}${host.slice(2)}`;
  return `${scheme}${host.includes(':') || hasPlaceholder(host) ? host : `${host}:9200`}`;
}

export function convertElasticsearchOutput(plugin: PluginNode, ctx: ConvertContext, defaults: { index?: string; esUrl?: string }): EsConversion {
  const o = new PluginOptions(plugin, ctx, 'output elasticsearch');
  const connection: Json = {};
  const sslFlag = o.bool('ssl_enabled') ?? o.bool('ssl');
  // Logstash 1.x/2.x wrote `host` (and `port`, `protocol`) instead of `hosts`.
  const legacyPort = o.has('port') ? o.str('port') : undefined;
  const legacyHosts = o.has('host') ? o.list('host')?.map((h) => (legacyPort && !/:\d+$/.test(h) ? `${h}:${legacyPort}` : h)) : undefined;
  if (o.has('protocol')) o.ignore('protocol', 'sluice speaks HTTP');
  if (o.has('cluster')) o.ignore('cluster', 'no equivalent needed over HTTP');
  const hosts = o.list('hosts') ?? legacyHosts;
  if (o.has('cloud_id')) throw new Unconvertible(o.attr('cloud_id')!.pos, 'option cloud_id: give the deployment\'s Elasticsearch URL in nodes instead (Kibana shows it next to the cloud id)');
  const https = sslFlag ?? (hosts ?? []).some((h) => /^https:/i.test(h));
  connection.nodes = hosts && hosts.length ? hosts.map((h) => nodeUrl(h, https)) : [defaults.esUrl ?? `\${ES_URL:-${https ? 'https' : 'http'}://localhost:9200}`];

  const user = o.str('user');
  const password = o.str('password');
  const apiKey = o.str('api_key');
  const cloudAuth = o.str('cloud_auth');
  if (apiKey !== undefined) {
    // Logstash takes "id:api_key"; sluice sends the base64 "encoded" form.
    const encoded = hasPlaceholder(apiKey) ? apiKey : apiKey.includes(':') ? Buffer.from(apiKey, 'utf8').toString('base64') : apiKey;
    if (hasPlaceholder(apiKey)) ctx.report.note(o.attr('api_key')!.pos, 'output elasticsearch option api_key', 'sluice expects the base64 "encoded" key (base64 of id:api_key) in this variable');
    connection.auth = { apiKey: encoded };
  } else if (user !== undefined && password !== undefined) {
    connection.auth = { username: user, password };
    if (!hasPlaceholder(password)) ctx.report.note(o.attr('password')!.pos, 'output elasticsearch option password', 'written in the config; better a secret: "${ES_PASSWORD}" with ES_PASSWORD_FILE');
  } else if (user !== undefined || password !== undefined) {
    ctx.report.unconverted(o.attr(user !== undefined ? 'user' : 'password')!.pos, 'output elasticsearch credentials', 'a user without a password (or the reverse) has no equivalent; set output.elasticsearch.auth.username and auth.password');
  } else if (cloudAuth !== undefined) {
    const m = /^([^:]*):(.*)$/.exec(cloudAuth);
    if (m && m[1] && m[2] && !hasPlaceholder(cloudAuth)) connection.auth = { username: m[1], password: m[2] };
    else ctx.report.unconverted(o.attr('cloud_auth')!.pos, 'output elasticsearch option cloud_auth', 'set output.elasticsearch.auth.username and auth.password from it (a ${VAR} holding user:password cannot be split)');
  }

  const tls: Json = {};
  const ca = o.list('ssl_certificate_authorities') ?? o.list('cacert');
  if (ca && ca.length) {
    tls.ca = ca[0];
    if (ca.length > 1) ctx.report.unconverted(plugin.pos, 'output elasticsearch ssl_certificate_authorities', 'sluice takes one CA file: concatenate the PEM files into one');
  }
  const verify = o.bool('ssl_certificate_verification');
  const mode = o.str('ssl_verification_mode');
  if (verify === false || mode === 'none') tls.rejectUnauthorized = false;
  const cert = o.str('ssl_certificate');
  const key = o.str('ssl_key');
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  const fingerprint = o.str('ca_trusted_fingerprint');
  if (fingerprint !== undefined) tls.caFingerprint = fingerprint;
  for (const n of ['truststore', 'ssl_truststore_path', 'keystore', 'ssl_keystore_path']) {
    o.unconverted(n, 'a Java keystore; export the certificates as PEM and set output.elasticsearch.tls.ca (or tls.cert and tls.key)');
  }
  for (const n of ['truststore_password', 'ssl_truststore_password', 'keystore_password', 'ssl_keystore_password', 'ssl_truststore_type', 'ssl_keystore_type']) o.ignore(n, 'belongs to the Java keystore');
  o.unconverted('ssl_supported_protocols', 'sluice uses Node.js TLS defaults (TLS 1.2 and 1.3)');
  o.unconverted('ssl_cipher_suites', 'sluice uses Node.js TLS cipher defaults');
  if (Object.keys(tls).length) {
    if (!(connection.nodes as string[]).every((n) => n.startsWith('https://') || n.startsWith('${'))) {
      ctx.report.note(plugin.pos, 'output elasticsearch TLS', 'TLS settings given for http:// hosts: the hosts were made https://');
      connection.nodes = (connection.nodes as string[]).map((n) => n.replace(/^http:\/\//, 'https://'));
    }
    connection.tls = tls;
  }
  for (const key of ['ca', 'cert', 'key'] as const) {
    const f = tls[key];
    if (typeof f === 'string' && !hasPlaceholder(f) && !f.includes('-----BEGIN') && !existsSync(f)) {
      ctx.report.unconverted(plugin.pos, `output elasticsearch TLS ${key}`, `the file ${f} does not exist here; copy it next to the pipeline, set output.elasticsearch.tls.${key} and convert again`);
      delete tls[key];
    }
  }
  if (tls.key !== undefined && tls.cert === undefined) delete tls.key;
  if (tls.cert !== undefined && tls.key === undefined) delete tls.cert;

  const timeout = o.num('timeout');
  if (timeout !== undefined) connection.requestTimeoutMs = Math.round(timeout * 1000);
  const retryInitial = o.num('retry_initial_interval');
  if (retryInitial !== undefined) connection.retryInitialMs = Math.round(retryInitial * 1000);
  const retryMax = o.num('retry_max_interval');
  if (retryMax !== undefined) connection.retryMaxMs = Math.round(retryMax * 1000);
  for (const a of plugin.attributes) if (TUNING.has(a.name)) o.ignore(a.name, 'client tuning with no equivalent (see batchMaxDocs, batchMaxBytes, concurrency)');

  // Template options are reported together: one decision (install the template yourself).
  const templateOptions = TEMPLATES.filter((n) => o.has(n));
  const manageFalse = (() => {
    const a = o.attr('manage_template');
    return a !== undefined && a.value.kind !== 'array' && a.value.kind !== 'hash' && a.value.kind !== 'plugin' && String(a.value.value) === 'false';
  })();
  const ilmOff = (() => {
    const a = o.attr('ilm_enabled');
    return a !== undefined && a.value.kind !== 'array' && a.value.kind !== 'hash' && a.value.kind !== 'plugin' && String(a.value.value) === 'false';
  })();
  if (ilmOff) ctx.report.note(o.attr('ilm_enabled')!.pos, 'output elasticsearch option ilm_enabled', 'sluice does not set up ILM, as with ilm_enabled => false');
  const ilm = templateOptions.filter((n) => n.startsWith('ilm_') && !(n === 'ilm_enabled' && ilmOff));
  const tmpl = templateOptions.filter((n) => !n.startsWith('ilm_') && !(n === 'manage_template' && manageFalse));
  for (const n of templateOptions) o.attr(n);
  if (manageFalse) ctx.report.note(o.attr('manage_template')!.pos, 'output elasticsearch option manage_template', 'sluice never installs templates, as with manage_template => false');
  if (tmpl.length) {
    ctx.report.unconverted(o.attr(tmpl[0])!.pos, `output elasticsearch option${tmpl.length > 1 ? 's' : ''} ${tmpl.join(', ')}`, 'sluice does not install index templates; install it once with PUT _index_template/<name> (sluice doctor checks that one matches)');
  }
  if (ilm.length) {
    ctx.report.unconverted(o.attr(ilm[0])!.pos, `output elasticsearch option${ilm.length > 1 ? 's' : ''} ${ilm.join(', ')}`, 'sluice does not set up ILM; create the policy, template and write alias with the Elasticsearch API, then index into the alias');
  }
  o.ignore('ecs_compatibility', 'only changes the templates Logstash installs');
  if (o.has('document_type')) o.ignore('document_type', 'mapping types were removed in Elasticsearch 7; the type is dropped');

  // Destination.
  const destination: EsConversion['destination'] = { index: '' };
  const dataStream = o.str('data_stream');
  const dsType = o.str('data_stream_type') ?? 'logs';
  const dsDataset = o.str('data_stream_dataset') ?? 'generic';
  const dsNamespace = o.str('data_stream_namespace') ?? 'default';
  if (o.has('data_stream_auto_routing')) o.unconverted('data_stream_auto_routing', 'routing by the event\'s data_stream.* fields: set index to "%{[data_stream][type]}-%{[data_stream][dataset]}-%{[data_stream][namespace]}" if every event has them');
  if (o.has('data_stream_sync_fields')) o.ignore('data_stream_sync_fields', 'sluice does not write data_stream.* fields into the event');
  const index = o.str('index');
  if (dataStream === 'true') {
    if (index !== undefined) ctx.report.note(o.attr('index')!.pos, 'output elasticsearch option index', 'ignored with data_stream => true, as in Logstash');
    destination.index = `${dsType}-${dsDataset}-${dsNamespace}`;
    destination.opType = 'create';
  } else {
    for (const n of ['data_stream_type', 'data_stream_dataset', 'data_stream_namespace']) if (o.has(n)) o.ignore(n, 'unused without data_stream => true');
    if (index !== undefined) destination.index = index;
    else {
      destination.index = defaults.index ?? 'logstash-%{+yyyy.MM.dd}';
      if (!defaults.index) ctx.report.note(plugin.pos, 'output elasticsearch index', 'no index given: Logstash\'s legacy default logstash-%{+yyyy.MM.dd} is used (Logstash 8 with ECS would write to the data stream logs-generic-default); set --index to choose');
    }
  }
  const docId = o.str('document_id');
  if (docId !== undefined) destination.documentId = docId;
  else ctx.report.note(plugin.pos, 'output elasticsearch document_id', 'Logstash let Elasticsearch choose ids; sluice uses <topic>-<partition>-<offset>, so a redelivered record overwrites itself instead of being indexed twice');
  const routing = o.str('routing');
  if (routing !== undefined) destination.routing = routing;
  const pipeline = o.str('pipeline');
  if (pipeline !== undefined) destination.ingestPipeline = pipeline;
  const action = o.str('action');
  if (action !== undefined) {
    if (action === 'index' || action === 'create') destination.opType = action;
    else throw new Unconvertible(o.attr('action')!.pos, `option action: "${action}" has no equivalent (sluice indexes or creates documents)`);
  }
  for (const n of ['doc_as_upsert', 'upsert', 'script', 'script_type', 'script_lang', 'script_var_name', 'scripted_upsert', 'version', 'version_type', 'parent', 'join_field']) {
    o.unconverted(n, 'updates, scripts and external versions have no equivalent; sluice indexes whole documents');
  }
  if (o.has('id')) o.ignore('id', 'sluice has one output per pipeline');
  o.finish();
  for (const [k, v] of Object.entries(destination)) if (typeof v === 'string' && k !== 'opType') (destination as Record<string, string>)[k] = v.replace(/%\{(\[[^}]*\])\}/g, (_, ref: string) => `%{${fieldRef(ref)}}`);
  return { connection, destination };
}
