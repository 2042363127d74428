/**
 * The Elasticsearch/OpenSearch output's checks for `sluice doctor`: each node reachable and
 * which engine and version it runs (opensearch.ts knows the OpenSearch side), cluster health,
 * write permission on the target index pattern (asked of the security API, else proven with
 * a probe document that is removed again), and an index template for the pattern.
 */
import { EsConnection, identifyCluster, type EsConnectionSettings, type EsResponse } from './client.js';
import { compileTemplate } from '../../core/template.js';
import { parsePath, setField, type Event } from '../../core/event.js';
import type { DiagnosticContext, DiagnosticReport } from '../../core/diagnostics.js';
import { ilmPolicyCheck, ismPolicyCheck, versionVerdict } from './opensearch.js';
import { templateTarget, type IndexTemplateConfig } from './template.js';
import { dataStreamIndex, dataStreamPattern, type DataStreamConfig } from './data-stream.js';
import { describeCluster, type ClusterInfo, type Distribution } from './client.js';

type OutputSettings = EsConnectionSettings & { index: string; distribution?: Distribution | 'auto'; template?: IndexTemplateConfig; dataStream?: DataStreamConfig };

type Es = { conn: EsConnection; node: string };

function esCall(es: Es, method: string, path: string, timeoutMs: number, body?: unknown): Promise<EsResponse> {
  return es.conn.request(method, path, body, timeoutMs, es.node);
}

function esError(r: EsResponse): string {
  const e = r.json?.error;
  if (e && typeof e === 'object') return `HTTP ${r.status} ${e.type}: ${e.reason}`;
  return `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
}

/** Glob as Elasticsearch index patterns use it (`*` only). */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

export async function elasticsearchDiagnostics(settings: OutputSettings, ctx: DiagnosticContext): Promise<void> {
  const { report, timeoutMs } = ctx;
  // In data stream mode the target is the data stream; the template covers its namespaces.
  const config = settings.dataStream
    ? { ...settings, index: dataStreamIndex(settings.dataStream), template: { manage: true, overwrite: false, ecs: true, pattern: dataStreamPattern(settings.dataStream), ...settings.template } }
    : settings;
  let cluster: ClusterInfo | undefined;
  let conn: EsConnection;
  try {
    conn = new EsConnection(config);
  } catch (err) {
    report.fail('elasticsearch settings', (err as Error).message, 'fix output.elasticsearch (nodes, auth, tls)');
    return;
  }
  let node: Es | undefined;
  for (const url of conn.nodes) {
    const n: Es = { conn, node: url };
    const origin = new URL(url).origin;
    const check = `elasticsearch ${origin}`;
    try {
      const r = await esCall(n, 'GET', '/', timeoutMs);
      if (r.status === 401) {
        report.fail(check, `reachable, but ${esError(r)}`, conn.describeAuth() === 'none' ? 'the cluster requires authentication: set output.elasticsearch.auth (username and password, apiKey or bearer)' : 'the credentials were rejected: check output.elasticsearch.auth');
        continue;
      }
      if (r.status === 403) {
        report.warn(check, `reachable (auth ${conn.describeAuth()}), but GET / is forbidden, so the version is unknown`, 'grant the "monitor" cluster privilege to see the version and health (indexing works without it)');
        node ??= n;
        continue;
      }
      const info = r.status === 200 ? identifyCluster(r.json) : undefined;
      if (!info) {
        report.fail(check, `answers, but not like Elasticsearch or OpenSearch: ${esError(r)}`, 'point output.elasticsearch.nodes at the HTTP port (9200 by default), not Kibana, OpenSearch Dashboards or a proxy page');
        continue;
      }
      const detail = `reachable, ${describeCluster(info)}, cluster ${r.json.cluster_name ?? '?'}, auth ${conn.describeAuth()}`;
      const expected = settings.distribution ?? 'auto';
      const verdict = versionVerdict(info);
      if (expected !== 'auto' && expected !== info.distribution) report.fail(check, `${detail}, but output.elasticsearch.distribution is "${expected}"`, `set "distribution" to "${info.distribution}" or "auto"`);
      else if (!verdict.supported) report.warn(check, detail, verdict.hint!);
      else report.pass(check, detail);
      cluster ??= info;
      node ??= n;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ETIMEDOUT' ? `no answer within ${timeoutMs} ms` : e.message;
      report.fail(
        check,
        `not reachable: ${why}`,
        'check output.elasticsearch.nodes (ES_URL), http vs https, that Elasticsearch runs and that its network.host/http.port is reachable from here',
      );
    }
  }
  if (!node) return;

  // Cluster health.
  try {
    const r = await esCall(node, 'GET', '/_cluster/health', timeoutMs);
    if (r.status !== 200) report.warn('elasticsearch cluster health', `cannot be read: ${esError(r)}`, 'grant the user the "monitor" cluster privilege to see health');
    else {
      const h = r.json;
      const detail = `${h.status}: ${h.number_of_nodes} node(s), ${h.active_primary_shards} primary shard(s), ${h.unassigned_shards} unassigned shard(s)`;
      if (h.status === 'green') report.pass('elasticsearch cluster health', detail);
      else if (h.status === 'yellow') report.warn('elasticsearch cluster health', detail, 'replica shards are unassigned (normal on a single node: set index.number_of_replicas to 0 in the index template), or a node is missing');
      else report.fail('elasticsearch cluster health', detail, 'primary shards are unassigned, so writes to their indices fail: see GET _cluster/allocation/explain');
    }
  } catch (err) {
    report.warn('elasticsearch cluster health', `cannot be read: ${(err as Error).message}`, 'check that the node answers /_cluster/health');
  }

  // Write permission on the index pattern.
  const template = compileTemplate(config.index);
  const prefix = config.index.split('%{')[0];
  const pattern = template.constant ? config.index : `${prefix}*`;
  const probeIndex = template.constant ? config.index : `${prefix}${prefix === '' || /[-_.]$/.test(prefix) ? '' : '-'}sluice-doctor`;
  await writeCheck(node, pattern, probeIndex, report, timeoutMs);

  // Index template.
  const sample: Event = { '@timestamp': new Date().toISOString() };
  for (const f of template.fields) setField(sample, parsePath(f), 'sample');
  const sampleIndex = template.render(sample).toLowerCase();
  try {
    const matching: string[] = [];
    const composable = await esCall(node, 'GET', '/_index_template', timeoutMs);
    if (composable.status === 200) {
      for (const t of composable.json?.index_templates ?? []) {
        const patterns: string[] = t.index_template?.index_patterns ?? [];
        if (patterns.some((p) => globMatch(p, sampleIndex))) matching.push(`${t.name} (${patterns.join(', ')})`);
      }
    }
    const legacy = await esCall(node, 'GET', '/_template', timeoutMs);
    if (legacy.status === 200) {
      for (const [name, t] of Object.entries<any>(legacy.json ?? {})) {
        const patterns: string[] = t.index_patterns ?? [];
        if (patterns.some((p) => globMatch(p, sampleIndex))) matching.push(`${name} (legacy; ${patterns.join(', ')})`);
      }
    }
    const managed = config.template?.manage !== false ? templateTarget(config.index, config.template ?? {}) : undefined;
    if (composable.status !== 200 && legacy.status !== 200) {
      report.warn('elasticsearch index template', `templates cannot be read: ${esError(composable)}`, 'grant the user the "manage_index_templates" or "monitor" cluster privilege to check them');
    } else if (managed && !matching.some((m) => m.startsWith(`${managed.name} (`))) {
      const others = matching.length ? `; also matching: ${matching.join('; ')}` : '';
      report.pass('elasticsearch index template', `sluice installs ${managed.name} for ${managed.pattern} on start (template.manage)${others}`);
    } else if (matching.length) {
      report.pass('elasticsearch index template', `${matching.join('; ')} applies to ${sampleIndex}`);
    } else {
      report.warn(
        'elasticsearch index template',
        `no index template matches ${sampleIndex} (index "${config.index}")`,
        `create an index template for ${pattern} with explicit mappings: otherwise the first document decides each field's type and later documents of another type are dead-lettered as es_rejected`,
      );
    }
  } catch (err) {
    report.warn('elasticsearch index template', `cannot be checked: ${(err as Error).message}`, 'check that the node answers /_index_template');
  }

  // Lifecycle policy attached through the template.
  const policy = config.template?.lifecycle;
  if (policy) {
    const request = (method: string, path: string) => esCall(node!, method, path, timeoutMs);
    try {
      if (cluster?.distribution === 'opensearch') await ismPolicyCheck(request, policy, report);
      else await ilmPolicyCheck(request, policy, report);
    } catch (err) {
      report.warn(`lifecycle policy ${policy}`, `cannot be checked: ${(err as Error).message}`, 'check that the node answers');
    }
  }
}

async function writeCheck(node: Es, pattern: string, probeIndex: string, report: DiagnosticReport, timeoutMs: number): Promise<void> {
  const check = `elasticsearch write to ${pattern}`;
  const hint = `grant sluice's user the index privileges "create_doc" and "create_index" (or "auto_configure") on ${pattern}`;
  try {
    // With security enabled, ask without side effects.
    const priv = await esCall(node, 'POST', '/_security/user/_has_privileges', timeoutMs, { index: [{ names: [pattern], privileges: ['create_doc', 'create_index'] }] });
    if (priv.status === 200 && priv.json && typeof priv.json.has_all_requested === 'boolean') {
      const user = priv.json.username ? ` (user ${priv.json.username})` : '';
      if (priv.json.has_all_requested) report.pass(check, `allowed${user}: create_doc and create_index on ${pattern}`);
      else {
        const got = priv.json.index?.[pattern] ?? {};
        const missing = Object.entries(got).filter(([, v]) => !v).map(([k]) => k);
        report.fail(check, `denied${user}: missing ${missing.join(', ') || 'privileges'} on ${pattern}`, hint);
      }
      return;
    }
    // No security API (security disabled, or no x-pack): write a probe document and remove it.
    const existed = (await esCall(node, 'HEAD', `/${encodeURIComponent(probeIndex)}`, timeoutMs)).status === 200;
    const id = `sluice-doctor-${process.pid}-${Date.now()}`;
    const put = await esCall(node, 'PUT', `/${encodeURIComponent(probeIndex)}/_create/${id}`, timeoutMs, { '@timestamp': new Date().toISOString() });
    if (put.status === 401 || put.status === 403) {
      report.fail(check, `denied: probe document into ${probeIndex}: ${esError(put)}`, hint);
      return;
    }
    if (put.status !== 201 && put.status !== 200) {
      report.fail(check, `probe document into ${probeIndex} rejected: ${esError(put)}`, `fix what Elasticsearch says above (index name, read-only index "index.blocks.write", full disk "flood_stage"); sluice writes to ${pattern} the same way`);
      return;
    }
    const backing = String(put.json?._index ?? probeIndex);
    const del = await esCall(node, 'DELETE', `/${encodeURIComponent(backing)}/_doc/${id}`, timeoutMs);
    let cleanup = del.status === 200 ? 'deleted it' : `could not delete it (${esError(del)})`;
    if (!existed) {
      // The probe made a data stream (a data stream template matches) or a plain index. Both
      // are tried: OpenSearch answers DELETE /_data_stream/<name> with 200 for a plain index
      // too, without deleting anything, so only HEAD tells whether something is left.
      await esCall(node, 'DELETE', `/_data_stream/${encodeURIComponent(probeIndex)}`, timeoutMs);
      let left = await esCall(node, 'HEAD', `/${encodeURIComponent(probeIndex)}`, timeoutMs);
      let ix: EsResponse | undefined;
      if (left.status === 200) {
        ix = await esCall(node, 'DELETE', `/${encodeURIComponent(probeIndex)}`, timeoutMs);
        left = await esCall(node, 'HEAD', `/${encodeURIComponent(probeIndex)}`, timeoutMs);
      }
      cleanup += left.status === 404 ? ` and the index ${probeIndex}` : `; index ${probeIndex} left behind (${ix ? esError(ix) : `HTTP ${left.status}`})`;
    }
    report.pass(check, `allowed: indexed a probe document into ${probeIndex} and ${cleanup}`);
  } catch (err) {
    report.fail(check, `could not be checked: ${(err as Error).message}`, 'check that Elasticsearch answers from here');
  }
}
