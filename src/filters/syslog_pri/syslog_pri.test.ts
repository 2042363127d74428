import { describe, expect, it } from 'vitest';
import { syslog_pri } from './index.js';
import { makeFilter, runFilter } from '../../testing/context.js';

const run = async (config: Record<string, unknown>, event: Record<string, unknown>) => runFilter(await makeFilter(syslog_pri, config), event)[0];

describe('syslog_pri filter', () => {
  it('splits a priority into ECS facility and severity codes and names', async () => {
    // <34>: facility 4 (security/authorization), severity 2 (critical) — RFC 3164's example
    expect(await run({}, { log: { syslog: { priority: 34 } } })).toEqual({
      log: { syslog: { priority: 34, facility: { code: 4, name: 'security/authorization' }, severity: { code: 2, name: 'critical' } } },
    });
    expect((await run({}, { log: { syslog: { priority: '<165>' } } })).log).toMatchObject({ syslog: { facility: { code: 20, name: 'local4' }, severity: { code: 5, name: 'notice' } } });
  });

  it('defaults to 13 (user-level notice) when the field is missing, as Logstash does', async () => {
    expect(await run({}, { message: 'x' })).toEqual({
      message: 'x',
      log: { syslog: { facility: { code: 1, name: 'user-level' }, severity: { code: 5, name: 'notice' } } },
    });
  });

  it('uses the legacy field names with ecsCompatibility disabled', async () => {
    expect(await run({ ecsCompatibility: 'disabled' }, { syslog_pri: '0' })).toEqual({
      syslog_pri: '0', syslog_facility_code: 0, syslog_facility: 'kernel', syslog_severity_code: 0, syslog_severity: 'emergency',
    });
  });

  it('reads a named field, skips labels on request and runs the success actions', async () => {
    expect(await run({ syslogPriFieldName: '[pri]', useLabels: false, addTag: ['pri_%{host}'] }, { pri: [191], host: 'h' })).toEqual({
      pri: [191], host: 'h', log: { syslog: { facility: { code: 23 }, severity: { code: 7 } } }, tags: ['pri_h'],
    });
  });

  it('tags a value that is no priority, and a facility without label', async () => {
    for (const pri of ['abc', 192, -1, 1.5, '<12', { a: 1 }]) {
      expect(await run({ addTag: ['ok'] }, { log: { syslog: { priority: pri } } }), String(pri)).toEqual({ log: { syslog: { priority: pri } }, tags: ['_syslogpriparsefailure'] });
    }
    const out = await run({ facilityLabels: ['kernel'], addTag: ['ok'] }, { log: { syslog: { priority: 13 } } });
    expect(out.tags).toEqual(['_syslogpriparsefailure']);
    expect(out.log).toEqual({ syslog: { priority: 13, facility: { code: 1 }, severity: { code: 5, name: 'notice' } } });
  });
});
