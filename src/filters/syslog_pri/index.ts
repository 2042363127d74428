/**
 * syslog_pri: splits a syslog PRI value (RFC 3164/5424: facility × 8 + severity) into
 * facility and severity codes and, with `useLabels`, their names. As in Logstash, an event
 * without the field gets the RFC's default priority 13 (user-level, notice), and a facility
 * code with no label tags the event `_syslogpriparsefailure`. ECS field names by default
 * (`log.syslog.facility.code` …); `ecsCompatibility: "disabled"` gives the legacy ones
 * (`syslog_facility_code` …).
 */
import { Type } from '@sinclair/typebox';
import type { Filter, FilterSpec } from '../../core/component.js';
import { addTag, getField, parsePath, setField } from '../../core/event.js';
import { compileSuccessActions, successActions } from '../../core/success-actions.js';

export const FACILITY_LABELS = [
  'kernel', 'user-level', 'mail', 'daemon', 'security/authorization', 'syslogd', 'line printer', 'network news', 'uucp', 'clock',
  'security/authorization', 'ftp', 'ntp', 'log audit', 'log alert', 'clock', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
export const SEVERITY_LABELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'];

export const syslogPriConfig = Type.Object(
  {
    syslogPriFieldName: Type.Optional(
      Type.String({ minLength: 1, description: 'Field holding the PRI number (`13`, `"13"` or `"<13>"`). Default: `log.syslog.priority`, or `syslog_pri` when ecsCompatibility is "disabled".' }),
    ),
    useLabels: Type.Boolean({ default: true, description: 'Also set the facility and severity names.' }),
    facilityLabels: Type.Array(Type.String(), { default: FACILITY_LABELS, description: 'Facility names by code (RFC 3164).' }),
    severityLabels: Type.Array(Type.String(), { default: SEVERITY_LABELS, description: 'Severity names by code (RFC 3164).' }),
    ecsCompatibility: Type.Union([Type.Literal('v1'), Type.Literal('v8'), Type.Literal('disabled')], {
      default: 'v1',
      description:
        '"v1"/"v8": read `log.syslog.priority`, write `log.syslog.facility.code`/`.name` and `log.syslog.severity.code`/`.name`; "disabled": read `syslog_pri`, write `syslog_facility_code`, `syslog_facility`, `syslog_severity_code`, `syslog_severity`.',
    }),
    tagOnFailure: Type.Array(Type.String(), { default: ['_syslogpriparsefailure'], description: 'Tags added when the value is not a priority or its facility has no label.' }),
    ...successActions,
  },
  { additionalProperties: false },
);

export const syslog_pri: FilterSpec<typeof syslogPriConfig> = {
  kind: 'filter',
  name: 'syslog_pri',
  summary: 'Split a syslog PRI value into facility and severity (codes and names)',
  config: syslogPriConfig,
  create(config): Filter {
    const ecs = config.ecsCompatibility !== 'disabled';
    const source = parsePath(config.syslogPriFieldName ?? (ecs ? 'log.syslog.priority' : 'syslog_pri'));
    const out = ecs
      ? { facilityCode: 'log.syslog.facility.code', facility: 'log.syslog.facility.name', severityCode: 'log.syslog.severity.code', severity: 'log.syslog.severity.name' }
      : { facilityCode: 'syslog_facility_code', facility: 'syslog_facility', severityCode: 'syslog_severity_code', severity: 'syslog_severity' };
    const paths = { facilityCode: parsePath(out.facilityCode), facility: parsePath(out.facility), severityCode: parsePath(out.severityCode), severity: parsePath(out.severity) };
    const { useLabels, facilityLabels, severityLabels } = config;
    const tags = config.tagOnFailure;
    const onSuccess = compileSuccessActions(config);

    const priorityOf = (v: unknown): number | undefined => {
      if (v === undefined || v === null) return 13;
      const first = Array.isArray(v) ? v[0] : v;
      if (typeof first === 'number') return Number.isInteger(first) && first >= 0 && first <= 191 ? first : undefined;
      if (typeof first !== 'string') return undefined;
      const m = /^\s*(?:<(\d{1,3})>|(\d{1,3}))\s*$/.exec(first);
      const n = m ? Number(m[1] ?? m[2]) : NaN;
      return n <= 191 ? n : undefined;
    };

    return {
      process(event) {
        const priority = priorityOf(getField(event, source));
        if (priority === undefined) {
          for (const t of tags) addTag(event, t);
          return;
        }
        const facility = priority >> 3;
        const severity = priority & 7;
        setField(event, paths.facilityCode, facility);
        setField(event, paths.severityCode, severity);
        let ok = true;
        if (useLabels) {
          const f = facilityLabels[facility];
          const s = severityLabels[severity];
          if (f !== undefined) setField(event, paths.facility, f);
          else ok = false;
          if (s !== undefined) setField(event, paths.severity, s);
        }
        if (!ok) for (const t of tags) addTag(event, t);
        else onSuccess(event);
      },
    };
  },
};
