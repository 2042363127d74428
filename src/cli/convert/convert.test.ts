import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertConfigs, type ConvertOptions } from './convert.js';
import { convertCondition } from './condition.js';
import { parseCondition } from './parser.js';
import { pipelineProblem } from './check.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-convert-'));
let n = 0;

/** Converts config text; returns the pipeline, the report lines and the unconverted count. */
async function convert(text: string, opts: ConvertOptions = {}) {
  const file = join(dir, `case${++n}.conf`);
  writeFileSync(file, text);
  const r = await convertConfigs([file], { baseDir: dir, ...opts });
  const lines = r.report.items.map((i) => `${i.pos.line}:${i.pos.column} ${i.severity} ${i.subject}: ${i.reason}`);
  return { pipeline: r.pipeline as Record<string, any>, lines, unconverted: r.report.unconvertedCount, report: r.report, fatal: r.fatal, file };
}

const wrap = (filters: string) => `input { kafka { topics => ["t"] } }\nfilter {\n${filters}\n}\noutput { elasticsearch { index => "i" } }\n`;

describe('convert: kafka input', () => {
  it('maps the connection, topics, group, codec and offsets, and Logstash ${VAR:default} placeholders', async () => {
    const { pipeline, unconverted } = await convert(`input { kafka {
      bootstrap_servers => "\${KAFKA:k1:9092,k2:9092}"
      topics => ["a", "b"]
      group_id => "g"
      client_id => "c"
      codec => json
      auto_offset_reset => "earliest"
      session_timeout_ms => 10000
    } }`);
    expect(unconverted).toBe(0);
    expect(pipeline.input.kafka).toEqual({
      brokers: ['${KAFKA:-k1:9092,k2:9092}'],
      topics: ['a', 'b'],
      groupId: 'g',
      clientId: 'c',
      codec: 'json',
      startFrom: 'earliest',
      sessionTimeoutMs: 10000,
    });
  });

  it("writes Logstash's defaults where sluice's differ (group logstash, topic logstash, start at latest)", async () => {
    const list = await convert('input { kafka { bootstrap_servers => ["k1:9092", "k2:9092"] } }');
    expect(list.pipeline.input.kafka.brokers).toEqual(['k1:9092,k2:9092']);
    const { pipeline } = await convert('input { kafka { } }');
    expect(pipeline.input.kafka).toMatchObject({ brokers: ['localhost:9092'], topics: ['logstash'], groupId: 'logstash', startFrom: 'latest', codec: 'plain' });
  });

  it('maps SASL_SSL with SCRAM and the JAAS credentials; a Java truststore is reported', async () => {
    const { pipeline, lines } = await convert(`input { kafka {
      topics => ["t"]
      security_protocol => "SASL_SSL"
      sasl_mechanism => "SCRAM-SHA-512"
      sasl_jaas_config => "org.apache.kafka.common.security.scram.ScramLoginModule required username='u' password=\\"\${KAFKA_PW}\\";"
      ssl_truststore_location => "/etc/kafka/truststore.jks"
    } }`);
    expect(pipeline.input.kafka.tls).toEqual({});
    expect(lines.join('\n')).toMatch(/6:7 unconverted input kafka option ssl_truststore_location: a Java keystore/);
    const again = await convert(`input { kafka { topics => ["t"] security_protocol => "SASL_SSL" sasl_mechanism => "PLAIN"
      sasl_jaas_config => 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="\${KAFKA_PW:secret}";' } }`);
    expect(again.pipeline.input.kafka).toMatchObject({ tls: {}, sasl: { mechanism: 'plain', username: 'u', password: '${KAFKA_PW:-secret}' } });
  });

  it('the input type, tags and add_field become a mutate at the head of the filters', async () => {
    const { pipeline } = await convert('input { kafka { topics => ["t"] type => "web" tags => ["k"] add_field => { "env" => "prod" } } }');
    expect(pipeline.filters[0]).toEqual({ mutate: { addField: { type: 'web', env: 'prod' }, addTag: ['k'] } });
  });

  it('other inputs and codecs are reported with their positions', async () => {
    const { lines, unconverted } = await convert('input {\n  beats { port => 5044 }\n  kafka { topics => ["t"] codec => avro {} }\n}');
    expect(unconverted).toBe(2);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^2:3 unconverted input beats: sluice reads Kafka only/), expect.stringMatching(/^3:27 unconverted input kafka: option codec: the codec "avro"/)]));
  });

  it('a filter-only fragment gets its input and output from flags or placeholders, and validates', async () => {
    const plain = await convert('filter { mutate { add_tag => ["x"] } }', { id: 'frag' });
    expect(plain.unconverted).toBe(0);
    expect(plain.pipeline.input.kafka).toEqual({ brokers: ['${KAFKA_BROKERS:-localhost:9092}'], topics: ['${KAFKA_TOPIC:-frag}'], groupId: '${KAFKA_GROUP_ID:-sluice-frag}', codec: 'plain' });
    expect(plain.pipeline.output.elasticsearch).toEqual({ nodes: ['${ES_URL:-http://localhost:9200}'], index: '${ES_INDEX:-frag-%{+yyyy.MM.dd}}' });
    const flags = await convert('filter { }', { brokers: 'k:9092', topics: ['a'], groupId: 'g', esUrl: 'http://es:9200', index: 'logs' });
    expect(flags.pipeline.input.kafka).toMatchObject({ brokers: ['k:9092'], topics: ['a'], groupId: 'g' });
    expect(flags.pipeline.output.elasticsearch).toEqual({ nodes: ['http://es:9200'], index: 'logs' });
  });

  it('a ${VAR} without a default gets one that validates in an empty environment, keeps its name, and is a note at its first use', async () => {
    const r = await convert(`input { kafka {
      bootstrap_servers => "\${KAFKA_HOSTS}"
      topics => ["\${TOPIC}"]
    } }
filter { mutate { add_field => { "env" => "\${DEPLOYMENT}" } } mutate { add_tag => ["\${DEPLOYMENT}"] } }
output { elasticsearch { hosts => ["http://\${ES_HOST}:\${ES_PORT}"] index => "logs-\${DEPLOYMENT}" user => "\${ES_USER}" password => "\${ES_PASSWORD}" } }`);
    expect(r.unconverted).toBe(0);
    expect(r.pipeline.input.kafka).toMatchObject({ brokers: ['${KAFKA_HOSTS:-localhost:9092}'], topics: ['${TOPIC:-logstash}'] });
    expect(r.pipeline.filters[0]).toEqual({ mutate: { addField: { env: '${DEPLOYMENT:-}' } } });
    expect(r.pipeline.output.elasticsearch).toMatchObject({
      nodes: ['http://${ES_HOST:-localhost}:${ES_PORT:-9200}'],
      index: 'logs-${DEPLOYMENT:-}',
      auth: { username: '${ES_USER:-unset}', password: '${ES_PASSWORD:-unset}' },
    });
    expect(JSON.stringify(r.pipeline)).not.toMatch(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/);
    // One note per variable and default, at the variable's first use, in the form the report prints.
    const notes = r.report.format().split('\n').filter((l) => l.includes('had no default'));
    expect(notes).toEqual([
      `${r.file}:2:28: note: \${KAFKA_HOSTS} had no default; written as \${KAFKA_HOSTS:-localhost:9092}`,
      `${r.file}:3:18: note: \${TOPIC} had no default; written as \${TOPIC:-logstash}`,
      `${r.file}:5:43: note: \${DEPLOYMENT} had no default; written as \${DEPLOYMENT:-}`,
      `${r.file}:6:36: note: \${ES_HOST} had no default; written as \${ES_HOST:-localhost}`,
      `${r.file}:6:36: note: \${ES_PORT} had no default; written as \${ES_PORT:-9200}`,
      `${r.file}:6:106: note: \${ES_USER} had no default; written as \${ES_USER:-unset}`,
      `${r.file}:6:131: note: \${ES_PASSWORD} had no default; written as \${ES_PASSWORD:-unset}`,
    ]);
    // The same pipeline with the variables set: the environment wins.
    const { loadPipeline } = await import('../../config/load.js');
    const { components } = await import('../../registry.js');
    const def = loadPipeline(join(dir, 'env.json'), components, { KAFKA_HOSTS: 'k1:9092', ES_HOST: 'es', ES_PORT: '9201', TOPIC: 'web' }, JSON.stringify(r.pipeline));
    expect(def.input.config).toMatchObject({ brokers: ['k1:9092'], topics: ['web'] });
    expect(def.output.config).toMatchObject({ nodes: ['http://es:9201'] });
  });
});

describe('convert: filters', () => {
  it('grok: match (hash and flat-array forms), overwrite, definitions, options; success actions follow through a marker tag', async () => {
    const { pipeline, unconverted } = await convert(wrap(`grok {
      match => ["message", "%{IP:ip} %{WORD:w}", "message", "%{GREEDYDATA:rest}"]
      overwrite => ["message"]
      pattern_definitions => { "MYNUM" => "[0-9]+" }
      break_on_match => false
      named_captures_only => true
      keep_empty_captures => true
      tag_on_failure => ["nogrok"]
      add_tag => ["parsed"]
      id => "g1"
    }`));
    expect(unconverted).toBe(0);
    expect(pipeline.filters).toEqual([
      {
        grok: {
          match: { message: ['%{IP:ip} %{WORD:w}', '%{GREEDYDATA:rest}'] },
          overwrite: ['message'],
          patternDefinitions: { MYNUM: '[0-9]+' },
          breakOnMatch: false,
          namedCapturesOnly: true,
          keepEmptyCaptures: true,
          tagOnFailure: ['nogrok', '_sluice_failed_1'],
        },
        id: 'g1',
      },
      { mutate: { addTag: ['parsed'] }, when: 'not ("_sluice_failed_1" in [tags])' },
      { mutate: { removeTag: ['_sluice_failed_1'] }, when: '"_sluice_failed_1" in [tags]' },
    ]);
  });

  it('grok: ecs_compatibility disabled selects the legacy pattern set; a pattern sluice refuses is reported', async () => {
    const legacy = await convert(wrap('grok { match => { "message" => "%{COMBINEDAPACHELOG}" } }'), { ecs: 'disabled' });
    expect(legacy.pipeline.filters[0].grok.ecsCompatibility).toBe('disabled');
    const bad = await convert(wrap('grok { match => { "message" => "%{NO_SUCH_PATTERN:x}" } }'));
    expect(bad.lines[0]).toMatch(/unconverted filter grok: sluice refuses the converted filter: .*NO_SUCH_PATTERN/);
  });

  it("mutate: every operation in one entry (sluice applies them in Logstash's order), with the common options", async () => {
    const { pipeline, unconverted } = await convert(wrap(`mutate {
      add_field => { "[a][b]" => "%{x}" }
      remove_field => ["[tmp]", "y"]
      rename => { "[old]" => "[new][name]" }
      convert => { "n" => "integer" "f" => "float_eu" }
      gsub => ["message", "\\\\s+", " ", "path", "/", "_"]
      uppercase => ["u"]
      lowercase => "l"
      strip => ["s"]
      split => { "csv" => "," }
      join => { "arr" => "," }
      merge => { "dest" => "src" }
      copy => { "from" => "[to]" }
      replace => { "r" => "v" }
      update => { "u2" => "v" }
      coerce => { "c" => "d" }
      capitalize => ["cap"]
      add_tag => ["t"]
      remove_tag => ["old"]
    }`));
    expect(unconverted).toBe(0);
    expect(pipeline.filters).toEqual([
      {
        mutate: {
          coerce: { c: 'd' },
          rename: { old: 'new.name' },
          update: { u2: 'v' },
          replace: { r: 'v' },
          convert: { n: 'integer', f: 'float_eu' },
          gsub: [
            { field: 'message', pattern: '\\\\s+', replacement: ' ' },
            { field: 'path', pattern: '/', replacement: '_' },
          ],
          uppercase: ['u'],
          capitalize: ['cap'],
          lowercase: ['l'],
          strip: ['s'],
          split: { csv: ',' },
          join: { arr: ',' },
          merge: { dest: 'src' },
          copy: { from: 'to' },
          addField: { '[a][b]': '%{x}' },
          removeField: ['tmp', 'y'],
          addTag: ['t'],
          removeTag: ['old'],
        },
      },
    ]);
  });

  it('date, kv, json, csv, dissect: options mapped one by one', async () => {
    const { pipeline, unconverted, lines } = await convert(
      wrap(`date { match => ["ts", "dd/MMM/yyyy:HH:mm:ss Z", "ISO8601"] timezone => "Europe/Paris" locale => "fr" target => "[event][created]" tag_on_failure => ["d"] }
      kv { source => "q" target => "params" field_split => "&" value_split => "=" include_keys => ["a"] exclude_keys => ["b"] prefix => "p_" trim_key => " " trim_value => "\\"" transform_key => "lowercase" allow_duplicate_values => false default_keys => { "x" => "1" } }
      json { source => "payload" target => "doc" skip_on_invalid_json => true }
      csv { source => "line" columns => ["a", "[b][c]"] separator => ";" quote_char => "'" skip_empty_columns => true skip_header => true convert => { "a" => "integer" } target => "row" }
      dissect { mapping => { "message" => "%{ts} %{+ts} %{msg}" } convert_datatype => { "n" => "int" } }`),
    );
    expect(lines.filter((l) => !l.includes('document_id'))).toEqual([]);
    expect(unconverted).toBe(0);
    expect(pipeline.filters).toEqual([
      { date: { field: 'ts', formats: ['dd/MMM/yyyy:HH:mm:ss Z', 'ISO8601'], timezone: 'Europe/Paris', locale: 'fr', target: 'event.created', tagOnFailure: ['d'] } },
      {
        kv: {
          field: 'q', target: 'params', fieldSplit: '&', valueSplit: '=', includeKeys: ['a'], excludeKeys: ['b'], prefix: 'p_', trimKey: ' ', trimValue: '\\"', transformKey: 'lowercase', allowDuplicateValues: false, defaultKeys: { x: '1' },
        },
      },
      { json: { field: 'payload', target: 'doc', skipOnInvalidJson: true } },
      { csv: { field: 'line', columns: ['a', 'b.c'], separator: ';', quoteChar: "'", skipEmptyColumns: true, skipHeader: true, convert: { a: 'integer' }, target: 'row' } },
      { dissect: { mapping: { message: '%{ts} %{+ts} %{msg}' }, convertDatatype: { n: 'int' } } },
    ]);
  });

  it('geoip, useragent, fingerprint, translate, drop, split, with the ECS defaults of Logstash 8', async () => {
    const { pipeline, unconverted } = await convert(
      wrap(`geoip { source => "[source][ip]" }
      useragent { source => "agent" target => "ua" }
      fingerprint { source => ["a", "b"] method => "SHA256" concatenate_sources => true key => "k" }
      translate { source => "code" target => "label" dictionary => { "200" => "OK" "404" => "Not Found" } fallback => "?" }
      drop { percentage => 10 }
      split { field => "items" }`),
    );
    expect(unconverted).toBe(0);
    expect(pipeline.filters).toEqual([
      { geoip: { field: 'source.ip' } },
      { useragent: { field: 'agent', target: 'ua' } },
      { fingerprint: { method: 'sha256', sources: ['a', 'b'], key: 'k', concatenateSources: true, target: 'event.hash' } },
      { translate: { field: 'code', target: 'label', dictionary: { '200': 'OK', '404': 'Not Found' }, fallback: '?' } },
      { drop: { percentage: 10 } },
      { split: { field: 'items' } },
    ]);
    const legacy = await convert(wrap('fingerprint { source => "m" } translate { field => "c" dictionary => ["a", "b"] } geoip { source => "ip" }'), { ecs: 'disabled' });
    expect(legacy.pipeline.filters).toEqual([
      { fingerprint: { method: 'sha256', sources: ['m'], target: 'fingerprint' } },
      { translate: { field: 'c', target: 'translation', dictionary: { a: 'b' } } },
      { geoip: { field: 'ip', target: 'geoip' } },
    ]);
  });

  it('the filters added for Logstash configs: xml, dns, cidr, syslog_pri, de_dot, prune, uuid, clone, json_encode', async () => {
    const { pipeline, unconverted } = await convert(
      wrap(`xml { source => "x" target => "doc" store_xml => true xpath => { "/a/b/text()" => "[b][text]" } force_array => false remove_namespaces => true }
      dns { reverse => ["[source][ip]"] action => "replace" nameserver => { address => ["127.0.0.1:5353"] search => ["lan"] } timeout => 1 hit_cache_size => 100 failed_cache_ttl => 10 }
      cidr { address => ["%{ip}"] network => ["10.0.0.0/8"] add_tag => ["internal"] }
      syslog_pri { syslog_pri_field_name => "pri" use_labels => false }
      de_dot { nested => true fields => ["a.b"] }
      prune { whitelist_names => ["^msg$"] blacklist_values => { "msg" => "^debug" } }
      uuid { target => "[event][id]" overwrite => true }
      clone { clones => ["copy"] }
      json_encode { source => "obj" target => "obj_json" }
      fingerprint { method => "UUID" target => "id" }`),
    );
    expect(unconverted).toBe(0);
    expect(pipeline.filters).toEqual([
      { xml: { source: 'x', target: 'doc', storeXml: true, xpath: { '/a/b/text()': 'b.text' }, forceArray: false, removeNamespaces: true } },
      { dns: { reverse: ['source.ip'], action: 'replace', nameserver: { address: ['127.0.0.1:5353'], search: ['lan'] }, timeout: 1, hitCacheSize: 100, failedCacheTtl: 10 } },
      { cidr: { address: ['%{ip}'], network: ['10.0.0.0/8'], addTag: ['internal'] } },
      { syslog_pri: { syslogPriFieldName: 'pri', useLabels: false, ecsCompatibility: 'v8' } },
      { de_dot: { fields: ['a.b'], nested: true } },
      { prune: { whitelistNames: ['^msg$'], blacklistValues: { msg: '^debug' } } },
      { uuid: { target: 'event.id', overwrite: true } },
      { clone: { clones: ['copy'], ecsCompatibility: 'v8' } },
      { json_encode: { source: 'obj', target: 'obj_json' } },
      { uuid: { target: 'id' } },
    ]);
  });

  it('Logstash 1.x filter options type, tags and exclude_tags become a condition', async () => {
    const { pipeline, unconverted } = await convert(wrap('mutate { type => "syslog" tags => ["a"] exclude_tags => ["b"] add_tag => ["x"] }'));
    expect(unconverted).toBe(0);
    expect(pipeline.filters).toEqual([{ mutate: { addTag: ['x'] }, when: '[type] == "syslog" and "a" in [tags] and "b" not in [tags]' }]);
    const grok = await convert(wrap('grok { type => "web" match => ["message", "%{WORD:w}"] add_tag => ["x"] }'));
    expect(grok.pipeline.filters[0]).toMatchObject({ if: '[type] == "web"', then: [{ grok: {} }, { mutate: {} }, { mutate: {} }] });
  });

  it('an option with no equivalent is reported at its position; the rest of the filter is converted', async () => {
    const { pipeline, lines } = await convert(wrap('kv {\n source => "m"\n recursive => true\n}'));
    expect(pipeline.filters).toEqual([{ kv: { field: 'm' } }]);
    expect(lines.filter((l) => l.includes('unconverted'))).toEqual(['5:2 unconverted filter kv option recursive: nested key=value parsing has no equivalent; add a second kv filter on the value']);
  });

  it('a filter with no equivalent is reported; the partial pipeline tags events and keeps its tag and field options', async () => {
    const { pipeline, lines, report } = await convert(wrap('if [a] {\n  ruby { code => "x" add_tag => ["rubied"] }\n}'));
    expect(lines.filter((l) => l.includes('unconverted'))).toEqual([expect.stringMatching(/^4:3 unconverted filter ruby: arbitrary Ruby code has no equivalent/)]);
    expect(pipeline.filters).toEqual([{ mutate: { addTag: ['_sluice_unconverted_ruby', 'rubied'] }, when: '[a]' }]);
    expect([report.filtersSeen, report.filtersConverted]).toEqual([1, 0]);
  });
});

describe('convert: conditionals', () => {
  it('if / else if / else become a conditional block; a lone filter under an if gets a when', async () => {
    const { pipeline } = await convert(
      wrap(`if [type] == "a" { mutate { add_tag => ["a"] } drop { } }
      else if "x" in [tags] and [n] > 5 { mutate { add_tag => ["x"] } }
      else { mutate { add_tag => ["other"] } }
      if [b] { drop { } }`),
    );
    expect(pipeline.filters).toEqual([
      {
        if: '[type] == "a"',
        then: [{ mutate: { addTag: ['a'] } }, { drop: {} }],
        elseIf: [{ if: '"x" in [tags] and [n] > 5', then: [{ mutate: { addTag: ['x'] } }] }],
        else: [{ mutate: { addTag: ['other'] } }],
      },
      { drop: {}, when: '[b]' },
    ]);
  });

  it('conditions: strings, regexes (Ruby anchors to JavaScript), nesting, xor/nand, lists', () => {
    const c = (s: string) => convertCondition(parseCondition(s));
    expect(c('[a][b] == "x\\\\y"')).toBe('[a][b] == "x\\\\\\\\y"');
    expect(c('[m] =~ /\\Afoo\\z/')).toBe('[m] =~ /^foo$/');
    expect(c('[m] !~ "a/b"')).toBe('[m] !~ /a\\/b/');
    expect(c('[a] and ([b] or [c])')).toBe('[a] and ([b] or [c])');
    expect(c('[a] xor [b] nand [c]')).toBe('[a] xor ([b] nand [c])');
    // A long chain stays flat (sluice conditions nest at most 64 levels).
    const chain = Array.from({ length: 200 }, (_, i) => `[code] == ${i}`).join(' or ');
    expect(c(chain)).toBe(chain);
    expect(c('[a] or [b] and [c] or [d]')).toBe('[a] or ([b] and [c]) or [d]');
    expect(c('![a]')).toBe('not [a]');
    expect(c('!([a] == 1)')).toBe('not ([a] == 1)');
    expect(c('[s] not in ["a", 1]')).toBe('[s] not in ["a", 1]');
    expect(() => c('[m] =~ /(?>atomic)/')).toThrow(/no JavaScript equivalent/);
  });

  it('a condition that cannot be converted is reported; the branch is never taken', async () => {
    const { pipeline, lines } = await convert(wrap('if [m] =~ /a++/ { drop {} }'));
    expect(lines[0]).toMatch(/^3:11 unconverted condition: regular expression \/a\+\+\/: possessive quantifiers/);
    expect(pipeline.filters).toEqual([{ drop: {}, when: 'false' }]);
  });
});

describe('convert: elasticsearch output', () => {
  it('maps hosts, index, document id, pipeline, routing, credentials and TLS; template management is reported', async () => {
    const ca = join(dir, 'ca.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', ca, '-days', '2', '-subj', '/CN=convert-test'], { stdio: 'ignore' });
    const { pipeline, lines } = await convert(`output { elasticsearch {
      hosts => ["es1:9200", "es2"]
      ssl => true
      cacert => "${ca}"
      user => "logstash"
      password => "\${ES_PW}"
      index => "web-%{[service][name]}-%{+YYYY.MM.dd}"
      document_id => "%{[@metadata][fingerprint]}"
      pipeline => "geo"
      routing => "%{tenant}"
      action => "create"
      manage_template => true
      template_name => "web"
    } }`);
    expect(pipeline.output.elasticsearch.index).toBe('web-%{service.name}-%{+YYYY.MM.dd}');
    expect(lines.filter((l) => l.includes('unconverted'))).toEqual([
      expect.stringMatching(/^12:7 unconverted output elasticsearch options manage_template, template_name: sluice does not install index templates/),
    ]);
    const ok = await convert(`output { elasticsearch {
      hosts => ["es1:9200", "es2"] ssl => true cacert => "${ca}" user => "logstash" password => "\${ES_PW}"
      index => "web-%{[service][name]}-%{+YYYY.MM.dd}" document_id => "%{[@metadata][fingerprint]}" pipeline => "geo" routing => "%{tenant}" action => "create"
      manage_template => false
    } }`);
    expect(ok.unconverted).toBe(0);
    expect(ok.pipeline.output.elasticsearch).toEqual({
      nodes: ['https://es1:9200', 'https://es2:9200'],
      auth: { username: 'logstash', password: '${ES_PW:-unset}' },
      tls: { ca },
      opType: 'create',
      index: 'web-%{service.name}-%{+YYYY.MM.dd}',
      documentId: '%{@metadata.fingerprint}',
      routing: '%{tenant}',
      ingestPipeline: 'geo',
    });
  });

  it('Logstash 1.x/2.x forms: elasticsearch host/port/protocol, grok pattern; ilm_enabled => false is only a note', async () => {
    const { pipeline, unconverted, lines } = await convert(wrap('grok { pattern => "%{WORD:w}" }').replace('output { elasticsearch { index => "i" } }', 'output { elasticsearch { host => "es1" port => 9201 protocol => "http" ilm_enabled => false index => "i" } }'));
    expect(unconverted).toBe(0);
    expect(pipeline.filters[0].grok.match).toEqual({ message: '%{WORD:w}' });
    expect(pipeline.output.elasticsearch.nodes).toEqual(['http://es1:9201']);
    expect(lines.join('\n')).toMatch(/note output elasticsearch option ilm_enabled/);
  });

  it('data streams become the data stream name with op type create; update actions are reported', async () => {
    const ds = await convert('output { elasticsearch { data_stream => "true" data_stream_dataset => "nginx" } }');
    expect(ds.pipeline.output.elasticsearch).toMatchObject({ index: 'logs-nginx-default', opType: 'create' });
    const upd = await convert('output { elasticsearch { action => "update" doc_as_upsert => true document_id => "%{id}" } }');
    expect(upd.lines).toEqual(expect.arrayContaining([expect.stringMatching(/unconverted output elasticsearch: option action: "update" has no equivalent/)]));
  });

  it('outputs behind conditions: the destination is chosen per event by a routing block, other events are dropped', async () => {
    const { pipeline, lines } = await convert(`output {
      if [type] == "a" { elasticsearch { hosts => ["es:9200"] index => "a-%{+YYYY.MM.dd}" } }
      else if [type] == "b" { elasticsearch { hosts => ["es:9200"] index => "b" } }
      stdout { codec => rubydebug }
    }`);
    expect(lines.filter((l) => l.includes('unconverted'))).toEqual([expect.stringMatching(/^4:7 unconverted output stdout/)]);
    expect(pipeline.output.elasticsearch).toEqual({ nodes: ['http://es:9200'], index: '%{@metadata.sluice.index}' });
    expect(pipeline.filters).toEqual([
      {
        if: '[type] == "a"',
        then: [{ mutate: { replace: { '@metadata.sluice.output': 'yes', '@metadata.sluice.index': 'a-%{+YYYY.MM.dd}' } } }],
        elseIf: [{ if: '[type] == "b"', then: [{ mutate: { replace: { '@metadata.sluice.output': 'yes', '@metadata.sluice.index': 'b' } } }] }],
      },
      { drop: {}, when: 'not [@metadata][sluice][output]', id: 'no-elasticsearch-output' },
    ]);
  });

  it('two unconditional elasticsearch outputs: the second is reported (one output per pipeline)', async () => {
    const { lines } = await convert('output { elasticsearch { index => "a" } elasticsearch { index => "b" } }');
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^1:41 unconverted output elasticsearch: a second elasticsearch output for the same events/)]));
  });
});

describe('convert: files', () => {
  it('concatenates the files of a directory in name order, and reports a syntax error with its position', async () => {
    const d = join(dir, 'conf.d');
    mkdirSync(d);
    writeFileSync(join(d, '10-filter.conf'), 'filter { mutate { add_tag => ["second"] } }');
    writeFileSync(join(d, '01-input.conf'), 'input { kafka { topics => ["t"] } }\nfilter { mutate { add_tag => ["first"] } }');
    writeFileSync(join(d, '99-broken.conf'), 'filter {\n  mutate { add_tag => ["x" }\n}');
    const { expandConfigPaths } = await import('./paths.js');
    const { files } = expandConfigPaths([d]);
    expect(files.map((f) => f.slice(d.length + 1))).toEqual(['01-input.conf', '10-filter.conf', '99-broken.conf']);
    const r = await convertConfigs(files, { baseDir: dir });
    expect(r.report.items.map((i) => `${i.pos.file.slice(d.length + 1)}:${i.pos.line}:${i.pos.column} ${i.subject}`)).toContain('99-broken.conf:2:28 syntax error');
    expect((r.pipeline as any).filters).toEqual([{ mutate: { addTag: ['first'] } }, { mutate: { addTag: ['second'] } }]);
    expect(await pipelineProblem(r.pipeline!, dir)).toBeUndefined();
  });

  it('expands globs in sorted order (*, ?, {a,b}, **), and says when nothing matches', async () => {
    const g = join(dir, 'glob');
    mkdirSync(join(g, 'sub'), { recursive: true });
    for (const f of ['b.conf', 'a.conf', 'c.txt', 'sub/d.conf']) writeFileSync(join(g, f), 'filter { }');
    const { expandConfigPaths } = await import('./paths.js');
    const rel = (files: string[]) => files.map((f) => f.slice(g.length + 1));
    expect(rel(expandConfigPaths([join(g, '*.conf')]).files)).toEqual(['a.conf', 'b.conf']);
    expect(rel(expandConfigPaths([join(g, '{b,c}.*')]).files)).toEqual(['b.conf', 'c.txt']);
    expect(rel(expandConfigPaths([join(g, '?.conf'), join(g, 'sub', '*')]).files)).toEqual(['a.conf', 'b.conf', 'sub/d.conf']);
    expect(rel(expandConfigPaths([join(g, '**', '*.conf')]).files)).toEqual(['a.conf', 'b.conf', 'sub/d.conf']);
    expect(expandConfigPaths([join(g, '*.nothing')])).toEqual({ files: [], problems: [`${join(g, '*.nothing')}: no file matches`] });
  });
});
