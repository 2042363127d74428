/** The real services the integration tests talk to (started by test/setup/global-stack.ts). */
import kafkajs from 'kafkajs';
import { randomBytes } from 'node:crypto';

export function services(): { brokers: string[]; esUrl: string } {
  const brokers = process.env.KAFKA_BROKERS;
  const esUrl = process.env.ES_URL;
  if (!brokers || !esUrl) throw new Error('KAFKA_BROKERS and ES_URL must be set (the global setup starts the local stack)');
  return { brokers: brokers.split(','), esUrl };
}

/** A name no other test run uses, valid as a topic and an index name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function kafkaClient(clientId = 'sluice-test') {
  return new kafkajs.Kafka({ clientId, brokers: services().brokers, logLevel: kafkajs.logLevel.NOTHING });
}

export async function createTopic(topic: string, partitions: number, replicationFactor = 1): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** End offsets per partition: the ids a topic's records get are `<topic>-<p>-<offset>` for offset < end. */
export async function endOffsets(topic: string): Promise<Map<number, number>> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

export async function expectedIds(topic: string): Promise<string[]> {
  const ids: string[] = [];
  for (const [p, end] of await endOffsets(topic)) for (let o = 0; o < end; o++) ids.push(`${topic}-${p}-${o}`);
  return ids;
}

/** Total lag of a consumer group on a topic (end offset minus committed offset). */
export async function groupLag(groupId: string, topic: string): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    let lag = 0;
    for (const e of ends) {
      const c = byPartition.get(e.partition) ?? -1;
      lag += Number(e.high) - Math.max(c, 0);
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

export async function es(path: string, init: { method?: string; body?: unknown } = {}): Promise<any> {
  const res = await fetch(`${services().esUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 404) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

export async function esCount(index: string): Promise<number> {
  await es(`/${index}/_refresh`, { method: 'POST' });
  const r = await es(`/${index}/_count`);
  return r?.count ?? 0;
}

/** Every document id in an index (scroll, so any size works; 8.x refuses to sort on _id). */
export async function esIds(index: string): Promise<string[]> {
  await es(`/${index}/_refresh`, { method: 'POST' });
  const ids: string[] = [];
  let r = await es(`/${index}/_search?scroll=1m`, { method: 'POST', body: { size: 5000, _source: false, sort: ['_doc'] } });
  for (;;) {
    const hits = r?.hits?.hits ?? [];
    for (const h of hits) ids.push(h._id);
    if (hits.length === 0 || !r._scroll_id) break;
    r = await es('/_search/scroll', { method: 'POST', body: { scroll: '1m', scroll_id: r._scroll_id } });
  }
  if (r?._scroll_id) await es('/_search/scroll', { method: 'DELETE', body: { scroll_id: r._scroll_id } });
  return ids;
}

/** Polls until `check` returns true; the readiness check tests use instead of sleeps. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
