/**
 * What is OpenSearch-specific in the output, beside the code it concerns: which versions are
 * supported, and the doctor check of an ISM policy (OpenSearch's counterpart of ILM).
 * Everything else (bulk API, per-item results, composable templates, data streams) is shared
 * with Elasticsearch; see docs/opensearch.md.
 */
import type { ClusterInfo, EsResponse } from './client.js';
import type { DiagnosticReport } from '../../core/diagnostics.js';

/** Verdict on a server version: supported, or a hint saying what to do. */
export function versionVerdict(info: Pick<ClusterInfo, 'distribution' | 'version' | 'major'>): { supported: boolean; hint?: string } {
  const minor = Number(info.version.split('.')[1] ?? 0);
  if (info.distribution === 'opensearch') {
    if (info.major >= 2) return { supported: true };
    return { supported: false, hint: 'sluice is tested with OpenSearch 2.19 (and 3.x where noted in docs/compatibility.md): upgrade the cluster' };
  }
  if (info.major >= 8 || (info.major === 7 && minor >= 17)) return { supported: true };
  return { supported: false, hint: 'sluice targets Elasticsearch 7.17, 8.x and 9.x: upgrade the cluster' };
}

/** The ISM policy named by `template.lifecycle` exists (OpenSearch's index-management plugin). */
export async function ismPolicyCheck(request: (method: string, path: string) => Promise<EsResponse>, policy: string, report: DiagnosticReport): Promise<void> {
  const check = `opensearch ISM policy ${policy}`;
  const r = await request('GET', `/_plugins/_ism/policies/${encodeURIComponent(policy)}`);
  if (r.status === 200) report.pass(check, 'exists; the index template attaches it to new indices (plugins.index_state_management.policy_id)');
  else if (r.status === 404 && /no handler|Incorrect HTTP method|invalid_index_name|index_not_found/i.test(r.text) && !/policy/i.test(r.text))
    report.fail(check, 'the index-management (ISM) plugin is not installed', 'install the opensearch-index-management plugin, or remove output.elasticsearch.template.lifecycle');
  else if (r.status === 404) report.fail(check, 'does not exist', `create it (PUT _plugins/_ism/policies/${policy}) or fix output.elasticsearch.template.lifecycle`);
  else report.warn(check, `cannot be read: HTTP ${r.status}`, 'grant the user access to the ISM API to check it');
}

/** The ILM policy named by `template.lifecycle` exists (Elasticsearch with x-pack). */
export async function ilmPolicyCheck(request: (method: string, path: string) => Promise<EsResponse>, policy: string, report: DiagnosticReport): Promise<void> {
  const check = `elasticsearch ILM policy ${policy}`;
  const r = await request('GET', `/_ilm/policy/${encodeURIComponent(policy)}`);
  if (r.status === 200) report.pass(check, 'exists; the index template attaches it to new indices (index.lifecycle.name)');
  else if (r.status === 404 && /resource_not_found/.test(r.text)) report.fail(check, 'does not exist', `create it (PUT _ilm/policy/${policy}) or fix output.elasticsearch.template.lifecycle`);
  else if (r.status === 404 || r.status === 400) report.fail(check, 'this cluster has no ILM (no x-pack)', 'remove output.elasticsearch.template.lifecycle, or use a cluster with ILM');
  else report.warn(check, `cannot be read: HTTP ${r.status}`, 'grant the "read_ilm" cluster privilege to check it');
}
