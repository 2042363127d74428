import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { clone } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';
import { loadPipeline } from '../../config/load.js';
import { components } from '../../registry.js';
import { buildFilters } from '../../runtime/build.js';
import { RecordProcessor } from '../../runtime/processor.js';

describe('clone filter', () => {
  it('keeps the original unchanged and adds one tagged deep copy per name (ECS)', async () => {
    const f = await makeFilter(clone, { clones: ['copy_a', 'copy_b'], addField: { 'labels.cloned': 'yes' } });
    const original = { message: 'm', nested: { x: 1 }, tags: ['t'] };
    const [o, a, b] = runFilter(f, original);
    expect(o).toEqual({ message: 'm', nested: { x: 1 }, tags: ['t'] });
    expect(a).toEqual({ message: 'm', nested: { x: 1 }, tags: ['t', 'copy_a'], labels: { cloned: 'yes' } });
    expect(b.tags).toEqual(['t', 'copy_b']);
    (a.nested as { x: number }).x = 2;
    expect(o.nested).toEqual({ x: 1 });
  });

  it('sets type instead with ecsCompatibility disabled', async () => {
    const [o, c] = runFilter(await makeFilter(clone, { clones: ['cloned_event'], ecsCompatibility: 'disabled' }), { type: 'original_event' });
    expect([o.type, c.type]).toEqual(['original_event', 'cloned_event']);
  });

  it('in a pipeline, copies go through the rest of the chain and routing tells them apart', async () => {
    const def = loadPipeline('p.json', components, {}, JSON.stringify({
      id: 'p',
      input: { kafka: { brokers: ['k:9092'], topics: ['t'], groupId: 'g', codec: 'plain' } },
      filters: [
        { clone: { clones: ['archive'] } },
        { if: '"archive" in [tags]', then: [{ mutate: { replace: { 'data_stream.namespace': 'archive' } } }], else: [{ mutate: { addTag: ['live'] } }] },
      ],
      output: { elasticsearch: { nodes: ['http://es:9200'], index: 'i' } },
    }));
    const { steps } = await buildFilters(def, { pipelineId: 'p', baseDir: '.', logger: pino({ level: 'silent' }) });
    const out = new RecordProcessor(steps, { codec: 'plain', maxRecordBytes: 1000, filterTimeoutMs: 1000, onFilterTimeout: 'tag' })
      .process({ topic: 't', partition: 0, offset: '5', key: null, value: Buffer.from('hello'), timestamp: '1', headers: {} });
    expect(out.kind === 'events' && out.events.map((e) => [e.tags, e.data_stream])).toEqual([[['live'], undefined], [['archive'], { namespace: 'archive' }]]);
  });
});
