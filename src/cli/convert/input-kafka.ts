/**
 * Logstash's kafka input → sluice's kafka input, option by option. Logstash's defaults are
 * written out where they differ from sluice's (group `logstash`, topic `logstash`, start at
 * `latest`) so that the converted pipeline consumes what the Logstash one did.
 */
import type { PluginNode } from './ast.js';
import { PluginOptions, templateValue, Unconvertible, type ConvertContext } from './values.js';

export type Json = Record<string, unknown>;

export interface KafkaConversion {
  config: Json;
  /** `type`, `tags`, `add_field` of the input: applied by a mutate at the head of the filters. */
  decorate?: Json;
  /** The topics (for a per-input condition when several inputs are merged). */
  topics?: string[];
  topicPattern?: string;
}

const TUNING = new Set([
  'consumer_threads',
  'max_poll_records',
  'max_poll_interval_ms',
  'fetch_min_bytes',
  'receive_buffer_bytes',
  'send_buffer_bytes',
  'reconnect_backoff_ms',
  'retry_backoff_ms',
  'metadata_max_age_ms',
  'poll_timeout_ms',
  'check_crcs',
  'connections_max_idle_ms',
  'partition_assignment_strategy',
  'isolation_level',
  'client_rack',
  'client_dns_lookup',
  'exclude_internal_topics',
]);

export function convertKafkaInput(plugin: PluginNode, ctx: ConvertContext): KafkaConversion {
  const o = new PluginOptions(plugin, ctx, 'input kafka');
  const config: Json = {};
  // A list of servers is accepted too (one entry may itself hold a comma-separated list).
  const servers = (o.list('bootstrap_servers') ?? ['localhost:9092']).join(',');
  config.brokers = [servers];
  const clientId = o.str('client_id');
  if (clientId !== undefined) config.clientId = clientId;
  const topics = o.list('topics');
  const topicPattern = o.str('topics_pattern');
  if (topicPattern !== undefined) config.topicPattern = topicPattern;
  else config.topics = topics ?? ['logstash'];
  if (topicPattern !== undefined && topics) o.ignore('topics', 'topics_pattern takes precedence, as in Logstash');
  config.groupId = o.str('group_id') ?? 'logstash';

  const reset = o.str('auto_offset_reset');
  // Logstash leaves this to Kafka's own default, "latest"; sluice's default is "earliest".
  if (reset === undefined || reset === 'latest') config.startFrom = 'latest';
  else if (reset === 'earliest') config.startFrom = 'earliest';
  else o.unconverted('auto_offset_reset', `"${reset}" has no equivalent (sluice starts a new group at earliest or latest)`);

  const codec = plugin.attributes.find((a) => a.name === 'codec');
  o.attr('codec');
  if (codec) {
    const name = codec.value.kind === 'plugin' ? codec.value.name : codec.value.kind === 'string' || codec.value.kind === 'bareword' ? codec.value.value : '';
    if (name === 'plain' || name === 'json') config.codec = name;
    else throw new Unconvertible(codec.pos, `option codec: the codec "${name}" has no equivalent (sluice reads plain or json records)`);
    if (codec.value.kind === 'plugin') {
      for (const a of codec.value.attributes) {
        if (a.name === 'charset' && a.value.kind === 'string' && /^utf-?8$/i.test(a.value.value)) continue;
        ctx.report.unconverted(a.pos, `codec ${name} option ${a.name}`, 'no equivalent in sluice (records are read as UTF-8)');
      }
    }
  } else config.codec = 'plain';

  const protocol = (o.str('security_protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) o.unconverted('security_protocol', `unknown protocol "${protocol}"`);
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const tls: Json = {};
    const ca = o.str('ssl_truststore_location');
    const caType = o.str('ssl_truststore_type');
    if (ca !== undefined) {
      if ((caType ?? '').toUpperCase() === 'PEM' || /\.(pem|crt)$/i.test(ca)) tls.ca = ca;
      else o.unconverted('ssl_truststore_location', 'a Java keystore; export its CA as PEM (keytool -exportcert -rfc) and set input.kafka.tls.ca');
    }
    const key = o.str('ssl_keystore_location');
    if (key !== undefined) o.unconverted('ssl_keystore_location', 'a Java keystore; export the client certificate and key as PEM and set input.kafka.tls.cert and tls.key');
    for (const n of ['ssl_truststore_password', 'ssl_keystore_password', 'ssl_key_password', 'ssl_keystore_type']) {
      if (o.has(n)) o.ignore(n, 'belongs to the Java keystore, which sluice does not read');
    }
    const ident = o.str('ssl_endpoint_identification_algorithm');
    if (ident === '') o.unconverted('ssl_endpoint_identification_algorithm', 'turning off host name verification alone has no equivalent; set tls.servername, or tls.rejectUnauthorized false (no verification at all)');
    config.tls = tls;
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mech = (o.str('sasl_mechanism') ?? 'GSSAPI').toUpperCase();
    const mechanisms: Record<string, string> = { PLAIN: 'plain', 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512' };
    if (!mechanisms[mech]) throw new Unconvertible(plugin.pos, `SASL mechanism ${mech} has no equivalent (sluice supports PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`);
    const jaas = o.str('sasl_jaas_config');
    const jaasPath = o.str('jaas_path');
    const user = jaas ? /username\s*=\s*["']([^"']*)["']/.exec(jaas)?.[1] : undefined;
    const password = jaas ? /password\s*=\s*["']([^"']*)["']/.exec(jaas)?.[1] : undefined;
    if (jaasPath !== undefined) o.unconverted('jaas_path', 'sluice does not read JAAS files; the username and password go in input.kafka.sasl');
    if (user === undefined || password === undefined || user === '' || password === '') {
      ctx.report.unconverted(plugin.pos, 'input kafka sasl', 'no username and password found in sasl_jaas_config; set input.kafka.sasl (mechanism, username, password)');
    } else {
      if (!password.includes('${')) ctx.report.note(plugin.pos, 'input kafka sasl', 'the password was written in the config; better put it in a secret: "${KAFKA_SASL_PASSWORD}" with KAFKA_SASL_PASSWORD_FILE');
      config.sasl = { mechanism: mechanisms[mech], username: user, password };
    }
  } else if (o.has('sasl_mechanism') || o.has('sasl_jaas_config')) {
    o.ignore('sasl_mechanism', `unused with security_protocol ${protocol}`);
    o.ignore('sasl_jaas_config', `unused with security_protocol ${protocol}`);
  }

  const ms: Array<[string, string]> = [
    ['session_timeout_ms', 'sessionTimeoutMs'],
    ['heartbeat_interval_ms', 'heartbeatIntervalMs'],
    ['request_timeout_ms', 'requestTimeoutMs'],
    ['auto_commit_interval_ms', 'commitIntervalMs'],
    ['max_partition_fetch_bytes', 'maxBytesPerPartition'],
    ['fetch_max_bytes', 'maxBytes'],
    ['fetch_max_wait_ms', 'maxWaitMs'],
  ];
  for (const [from, to] of ms) {
    const n = o.num(from);
    if (n !== undefined) config[to] = Math.round(n);
  }
  const autoCommit = o.bool('enable_auto_commit');
  if (autoCommit === false) o.ignore('enable_auto_commit', 'sluice always commits, and only offsets whose records are indexed');
  else if (autoCommit) o.ignore('enable_auto_commit', 'sluice commits only offsets whose records are indexed (never ahead of them)');
  if (o.has('decorate_events')) o.ignore('decorate_events', 'sluice always sets @metadata.kafka (topic, partition, offset, key, timestamp, headers; no consumer_group)');
  for (const n of ['key_deserializer_class', 'value_deserializer_class']) {
    const v = o.str(n);
    if (v !== undefined && v !== 'org.apache.kafka.common.serialization.StringDeserializer') o.unconverted(n, 'sluice reads record values as UTF-8 text');
  }
  for (const a of plugin.attributes) if (TUNING.has(a.name)) o.ignore(a.name, 'Kafka client tuning with no equivalent; run more replicas, or set partitionsConsumedConcurrently');
  if (o.has('id')) o.ignore('id', 'the pipeline id names the input');

  const decorate: Json = {};
  const type = o.str('type');
  const tags = o.list('tags');
  const addField = o.pairs('add_field');
  if (type !== undefined) decorate.addField = { type };
  if (addField) {
    const fields = (decorate.addField ?? {}) as Json;
    for (const [k, v] of addField) fields[k] = templateValue(v);
    decorate.addField = fields;
  }
  if (tags) decorate.addTag = tags;
  o.finish();
  return { config, decorate: Object.keys(decorate).length ? decorate : undefined, topics: config.topics as string[] | undefined, topicPattern };
}
