/**
 * A converted Logstash config runs for real: `sluice convert` on a config with a kafka input,
 * a grok, and elasticsearch outputs behind conditionals (one with a document_id and a
 * routing, one without), then `sluice run` on real Kafka and Elasticsearch, records produced
 * by Kafka's own console producer. Each event lands in the index its branch names, the
 * event no output takes is not indexed, and the output without routing sends none.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleProduce } from '../scripts/stack/index.js';
import { createTopic, es, esCount, groupLag, services, uniqueName, waitFor } from './helpers/services.js';
import { runSluice, startSluice, type Running } from './helpers/sluice.js';

const run = uniqueName('convert');
const topic = `${run}-logs`;
const running: Running[] = [];

afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe('a converted Logstash config on real Kafka and Elasticsearch', () => {
  it('routes each event to the index of its branch and drops the event no output takes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-convert-run-'));
    const conf = join(dir, 'logstash.conf');
    writeFileSync(
      conf,
      `input {
  kafka {
    bootstrap_servers => "\${KAFKA_BROKERS}"
    topics => ["${topic}"]
    group_id => "${run}"
    auto_offset_reset => "earliest"
  }
}
filter {
  grok { match => { "message" => "^%{WORD:kind} %{WORD:user} %{GREEDYDATA:text}" } }
}
output {
  if [kind] == "web" {
    elasticsearch { hosts => ["\${ES_URL}"] index => "${run}-web" }
  } else if [kind] == "app" {
    elasticsearch { hosts => ["\${ES_URL}"] index => "${run}-app" document_id => "app-%{user}" routing => "%{user}" }
  }
}
`,
    );
    const pipeline = join(dir, 'converted.json');
    const c = runSluice(['convert', conf, '-o', pipeline]);
    expect(c.code, c.stderr).toBe(0);

    await createTopic(topic, 2);
    const lines = ['web alice GET /', 'app bob started', 'debug carol noise', 'web dave GET /x'];
    const p = await consoleProduce(services().brokers, topic, lines);
    expect(p.code, p.stderr).toBe(0);

    const proc = startSluice(['run', pipeline], { KAFKA_BROKERS: services().brokers.join(','), ES_URL: services().esUrl });
    running.push(proc);
    await waitFor('the pipeline to catch up', async () => (await groupLag(run, topic)) === 0, 120_000, 500);
    proc.child.kill('SIGTERM');
    expect((await proc.exited).code, proc.output().slice(-3000)).toBe(0);

    await es(`/${run}-*/_refresh`, { method: 'POST' });
    expect(await esCount(`${run}-web`)).toBe(2);
    expect(await esCount(`${run}-app`)).toBe(1);
    const app = await es(`/${run}-app/_doc/app-bob?routing=bob`);
    expect(app._source).toMatchObject({ kind: 'app', user: 'bob', text: 'started' });
    expect(app._routing).toBe('bob');
    const web = await es(`/${run}-web/_search`, { method: 'POST', body: { query: { match_all: {} } } });
    expect(web.hits.hits.map((h: any) => h._source.user).sort()).toEqual(['alice', 'dave']);
    expect(web.hits.hits.every((h: any) => h._routing === undefined && !('@metadata' in h._source))).toBe(true);
  });
});
