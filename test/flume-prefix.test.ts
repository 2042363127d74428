/** pipelines/flume-prefix.json through `sluice process`: what its test cases cannot set (the environment). */
import { describe, expect, it } from 'vitest';
import { runSluice } from './helpers/sluice.js';

const pipeline = 'pipelines/flume-prefix.json';
const example =
  'service1##$$##m1-ocean-1004.cp  [INFO]  2016-03-18 12:59:31,080 [main]  fountain.runner.CustomConsumerFactoryPostProcessor      (CustomConsumerFactoryPostProcessor.java:91)    -Start to init IoC container by loading XML bean definitions from classpath:fountain-consumer-stdout.xml';

function processLines(lines: string[], env: Record<string, string> = {}) {
  const r = runSluice(['process', pipeline], { input: lines.join('\n'), env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

describe('flume-prefix pipeline', () => {
  it('reads the line time as UTC by default', () => {
    const [event] = processLines([example]);
    expect(event['@timestamp']).toBe('2016-03-18T12:59:31.080Z');
    expect(event.log.origin.file).toEqual({ name: 'CustomConsumerFactoryPostProcessor.java', line: 91 });
  });

  it('reads the line time in FLUME_TIMEZONE when set', () => {
    const [event] = processLines([example], { FLUME_TIMEZONE: 'Asia/Shanghai' });
    expect(event['@timestamp']).toBe('2016-03-18T04:59:31.080Z');
  });

  it('joins a stack trace into its line; the end of the input ends the last group', () => {
    const events = processLines([
      'payments##$$##app-01 2024-05-01 12:00:03.001 [main] ERROR c.e.p.Gateway - failed',
      'payments##$$##app-02 2024-05-01 12:00:03.002 [main] INFO  c.e.p.Other - fine',
      'payments##$$##app-01 java.lang.IllegalStateException: down',
      'payments##$$##app-01 \tat c.e.p.Gateway.charge(Gateway.java:42)',
    ]);
    expect(events.map((e) => [e.host.name, e.message])).toEqual([
      ['app-01', 'failed\njava.lang.IllegalStateException: down\nat c.e.p.Gateway.charge(Gateway.java:42)'],
      ['app-02', 'fine'],
    ]);
  });
});
