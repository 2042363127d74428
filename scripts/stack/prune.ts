/**
 * What test runs and the perf tools leave on the local stack: every integration test makes its
 * own topics, groups, indices and index templates under a unique name, and a run that is
 * killed (or a test that only deletes its index, not the template sluice installed for it)
 * leaves them behind. Over weeks of runs a developer's stack collected 1,100 topics, 350
 * indices and 580 templates: Elasticsearch then refused new indices at its 1,000-shard limit,
 * and benchmarks ran against a cluster busy with all of it.
 *
 * Only names made by a run are touched (see RUN_MADE): the demo's and a developer's own data stay.
 * The test runs' global teardown prunes when no other process uses the stack;
 * `npm run stack:prune` does it by hand.
 */
import kafkajs from 'kafkajs';

/**
 * A run's names: `<prefix>-<Date.now() in base 36>-<6 hex digits>` (test/helpers/services.ts,
 * `uniqueName`; from 2020 to 2059 the time is 8 characters starting with k–z, so a date like
 * 20261205 never looks like one; `_` in data stream names), and `perf-<Date.now() in base 36>` of
 * scripts/perf/e2e-once.ts, with whatever a pipeline adds (`sluice-` templates, `.dlq`
 * topics, date suffixes, data stream backing indices).
 */
export const RUN_MADE = /(^|[-_.])[k-z][0-9a-z]{7}[-_][0-9a-f]{6}([-_.]|$)|(^|[-.])perf-[k-z][0-9a-z]{7}([-_.]|$)/;

export interface Pruned {
  indices: number;
  templates: number;
  topics: number;
  groups: number;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Deletes what `match` (default RUN_MADE) names: index templates, data streams, indices, empty consumer groups, topics. */
export async function pruneRunLeftovers(opts: { esUrl: string; kafkaBrokers: string[]; match?: RegExp }): Promise<Pruned> {
  const made = opts.match ?? RUN_MADE;
  const es = async (path: string, method = 'GET'): Promise<any> => {
    const res = await fetch(`${opts.esUrl}${path}`, { method });
    const text = await res.text();
    return res.ok && text ? JSON.parse(text) : undefined;
  };
  const pruned: Pruned = { indices: 0, templates: 0, topics: 0, groups: 0 };

  // Index templates first, so nothing recreates an index with them meanwhile.
  const templates = ((await es('/_index_template'))?.index_templates ?? []) as { name: string }[];
  for (const { name } of templates.filter((t) => made.test(t.name))) {
    if (await es(`/_index_template/${encodeURIComponent(name)}`, 'DELETE')) pruned.templates++;
  }
  // Data streams (where the cluster has them) before their backing indices, which cannot go alone.
  const streams = ((await es('/_data_stream/*?expand_wildcards=all'))?.data_streams ?? []) as { name: string }[];
  for (const { name } of streams.filter((s) => made.test(s.name))) await es(`/_data_stream/${encodeURIComponent(name)}`, 'DELETE');
  const indices = ((await es('/_cat/indices?format=json&h=index&expand_wildcards=all')) ?? []) as { index: string }[];
  // A URL of at most a few KiB per request.
  for (const batch of chunks(indices.map((i) => i.index).filter((n) => made.test(n)), 40)) {
    if (await es(`/${batch.map(encodeURIComponent).join(',')}?expand_wildcards=all&ignore_unavailable=true`, 'DELETE')) pruned.indices += batch.length;
  }

  const admin = new kafkajs.Kafka({ clientId: 'sluice-stack-prune', brokers: opts.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => made.test(g));
    for (const batch of chunks(groups, 100)) {
      // Only empty groups can be deleted; one still in use stays (and says so in its result).
      const results = await admin.deleteGroups(batch).catch((err: { groups?: { errorCode: number }[] }) => err.groups ?? []);
      pruned.groups += results.filter((r) => r.errorCode === 0).length;
    }
    const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__') && made.test(t));
    for (const batch of chunks(topics, 100)) {
      await admin.deleteTopics({ topics: batch, timeout: 30_000 });
      pruned.topics += batch.length;
    }
  } finally {
    await admin.disconnect();
  }
  return pruned;
}
