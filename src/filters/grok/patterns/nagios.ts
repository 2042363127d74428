/** Nagios event log (nagios.log). */
import { r, type PatternFamily } from './types.js';

const TYPES: Record<string, string> = {
  CURRENT_SERVICE_STATE: 'CURRENT SERVICE STATE',
  CURRENT_HOST_STATE: 'CURRENT HOST STATE',
  SERVICE_NOTIFICATION: 'SERVICE NOTIFICATION',
  HOST_NOTIFICATION: 'HOST NOTIFICATION',
  SERVICE_ALERT: 'SERVICE ALERT',
  HOST_ALERT: 'HOST ALERT',
  SERVICE_FLAPPING_ALERT: 'SERVICE FLAPPING ALERT',
  HOST_FLAPPING_ALERT: 'HOST FLAPPING ALERT',
  SERVICE_DOWNTIME_ALERT: 'SERVICE DOWNTIME ALERT',
  HOST_DOWNTIME_ALERT: 'HOST DOWNTIME ALERT',
  PASSIVE_SERVICE_CHECK: 'PASSIVE SERVICE CHECK',
  PASSIVE_HOST_CHECK: 'PASSIVE HOST CHECK',
  SERVICE_EVENT_HANDLER: 'SERVICE EVENT HANDLER',
  HOST_EVENT_HANDLER: 'HOST EVENT HANDLER',
  EXTERNAL_COMMAND: 'EXTERNAL COMMAND',
  TIMEPERIOD_TRANSITION: 'TIMEPERIOD TRANSITION',
};
const COMMANDS = [
  'DISABLE_SVC_CHECK', 'ENABLE_SVC_CHECK', 'DISABLE_HOST_CHECK', 'ENABLE_HOST_CHECK', 'PROCESS_SERVICE_CHECK_RESULT',
  'PROCESS_HOST_CHECK_RESULT', 'SCHEDULE_SERVICE_DOWNTIME', 'SCHEDULE_HOST_DOWNTIME', 'DISABLE_HOST_SVC_NOTIFICATIONS',
  'ENABLE_HOST_SVC_NOTIFICATIONS', 'DISABLE_HOST_NOTIFICATIONS', 'ENABLE_HOST_NOTIFICATIONS', 'DISABLE_SVC_NOTIFICATIONS',
  'ENABLE_SVC_NOTIFICATIONS',
];

const common: Record<string, string> = {};
for (const [k, v] of Object.entries(TYPES)) common[`NAGIOS_TYPE_${k}`] = v;
for (const c of COMMANDS) common[`NAGIOS_EC_${c}`] = c;

/** Field names per mode: [legacy, ecs]. */
type F = [string, string];
const f = {
  type: ['nagios_type', '[nagios][log][type]'],
  host: ['nagios_hostname', '[host][hostname]'],
  service: ['nagios_service', '[service][name]'],
  state: ['nagios_state', '[service][state]'],
  statetype: ['nagios_statetype', '[nagios][log][state_type]'],
  statelevel: ['nagios_statelevel', '[nagios][log][state_type]'],
  message: ['nagios_message', 'message'],
  notifyname: ['nagios_notifyname', '[user][name]'],
  contact: ['nagios_contact', '[nagios][log][notification_command]'],
  comment: ['nagios_comment', '[nagios][log][comment]'],
  handler: ['nagios_event_handler_name', '[nagios][log][event_handler_name]'],
  command: ['nagios_command', '[nagios][log][command]'],
  checkresult: ['nagios_check_result', '[nagios][log][check_result]'],
  start: ['nagios_start_time', '[nagios][log][start_time]'],
  end: ['nagios_end_time', '[nagios][log][end_time]'],
  fixed: ['nagios_fixed', '[nagios][log][fixed]'],
  trigger: ['nagios_trigger_id', '[nagios][log][trigger_id]'],
  author: ['author', '[user][name]'],
  downtimecomment: ['comment', '[nagios][log][comment]'],
} satisfies Record<string, F>;

function build(mode: 0 | 1): Record<string, string> {
  const d = (field: F) => `%{DATA:${field[mode]}}`;
  const g = (field: F) => `%{GREEDYDATA:${field[mode]}}`;
  const typed = (pattern: string, legacy: string, ecs: string) => (mode === 0 ? `%{${pattern}:${legacy}}` : `%{${pattern}:${ecs}}`);
  const head = (type: string) => `%{NAGIOS_TYPE_${type}:${f.type[mode]}}: `;
  const ec = (command: string, rest: string) => `%{NAGIOS_TYPE_EXTERNAL_COMMAND:${f.type[mode]}}: %{NAGIOS_EC_${command}:${f.command[mode]}};${rest}`;
  const attempt = mode === 0 ? null : '%{INT:[nagios][log][attempt]:int}';
  const p: Record<string, string> = {
    NAGIOSTIME: mode === 0 ? r`\[%{NUMBER:nagios_epoch}\]` : r`\[%{NUMBER:timestamp}\]`,
    NAGIOS_WARNING: mode === 0 ? r`Warning:%{SPACE}%{GREEDYDATA:nagios_message}` : r`Warning:%{SPACE}%{GREEDYDATA:message}`,
    NAGIOS_CURRENT_SERVICE_STATE: `${head('CURRENT_SERVICE_STATE')}${d(f.host)};${d(f.service)};${d(f.state)};${d(f.statetype)};${attempt ?? '%{DATA:nagios_statecode}'};${g(f.message)}`,
    NAGIOS_CURRENT_HOST_STATE: `${head('CURRENT_HOST_STATE')}${d(f.host)};${d(f.state)};${d(f.statetype)};${attempt ?? '%{DATA:nagios_statecode}'};${g(f.message)}`,
    NAGIOS_SERVICE_NOTIFICATION: `${head('SERVICE_NOTIFICATION')}${d(f.notifyname)};${d(f.host)};${d(f.service)};${d(f.state)};${d(f.contact)};${g(f.message)}`,
    NAGIOS_HOST_NOTIFICATION: `${head('HOST_NOTIFICATION')}${d(f.notifyname)};${d(f.host)};${d(f.state)};${d(f.contact)};${g(f.message)}`,
    NAGIOS_SERVICE_ALERT: `${head('SERVICE_ALERT')}${d(f.host)};${d(f.service)};${d(f.state)};${d(f.statelevel)};${attempt ?? '%{NUMBER:nagios_attempt}'};${g(f.message)}`,
    NAGIOS_HOST_ALERT: `${head('HOST_ALERT')}${d(f.host)};${d(f.state)};${d(f.statelevel)};${attempt ?? '%{NUMBER:nagios_attempt}'};${g(f.message)}`,
    NAGIOS_SERVICE_FLAPPING_ALERT: `${head('SERVICE_FLAPPING_ALERT')}${d(f.host)};${d(f.service)};${d(f.state)};${g(f.message)}`,
    NAGIOS_HOST_FLAPPING_ALERT: `${head('HOST_FLAPPING_ALERT')}${d(f.host)};${d(f.state)};${g(f.message)}`,
    NAGIOS_SERVICE_DOWNTIME_ALERT: `${head('SERVICE_DOWNTIME_ALERT')}${d(f.host)};${d(f.service)};${d(f.state)};${g(f.comment)}`,
    NAGIOS_HOST_DOWNTIME_ALERT: `${head('HOST_DOWNTIME_ALERT')}${d(f.host)};${d(f.state)};${g(f.comment)}`,
    NAGIOS_PASSIVE_SERVICE_CHECK: `${head('PASSIVE_SERVICE_CHECK')}${d(f.host)};${d(f.service)};${d(f.state)};${g(f.comment)}`,
    NAGIOS_PASSIVE_HOST_CHECK: `${head('PASSIVE_HOST_CHECK')}${d(f.host)};${d(f.state)};${g(f.comment)}`,
    NAGIOS_SERVICE_EVENT_HANDLER: `${head('SERVICE_EVENT_HANDLER')}${d(f.host)};${d(f.service)};${d(f.state)};${d(f.statelevel)};${d(f.handler)}`,
    NAGIOS_HOST_EVENT_HANDLER: `${head('HOST_EVENT_HANDLER')}${d(f.host)};${d(f.state)};${d(f.statelevel)};${d(f.handler)}`,
    NAGIOS_TIMEPERIOD_TRANSITION:
      `${head('TIMEPERIOD_TRANSITION')}${d(f.service)};` +
      `${typed('NUMBER', 'nagios_unknown1', '[nagios][log][period_from]:int')};${typed('NUMBER', 'nagios_unknown2', '[nagios][log][period_to]:int')}`,
    NAGIOS_EC_LINE_DISABLE_SVC_CHECK: ec('DISABLE_SVC_CHECK', `${d(f.host)};${d(f.service)}`),
    NAGIOS_EC_LINE_ENABLE_SVC_CHECK: ec('ENABLE_SVC_CHECK', `${d(f.host)};${d(f.service)}`),
    NAGIOS_EC_LINE_DISABLE_HOST_CHECK: ec('DISABLE_HOST_CHECK', `${d(f.host)}`),
    NAGIOS_EC_LINE_ENABLE_HOST_CHECK: ec('ENABLE_HOST_CHECK', `${d(f.host)}`),
    NAGIOS_EC_LINE_PROCESS_SERVICE_CHECK_RESULT: ec('PROCESS_SERVICE_CHECK_RESULT', `${d(f.host)};${d(f.service)};${d(f.state)};${g(f.checkresult)}`),
    NAGIOS_EC_LINE_PROCESS_HOST_CHECK_RESULT: ec('PROCESS_HOST_CHECK_RESULT', `${d(f.host)};${d(f.state)};${g(f.checkresult)}`),
    NAGIOS_EC_LINE_DISABLE_HOST_SVC_NOTIFICATIONS: ec('DISABLE_HOST_SVC_NOTIFICATIONS', `${g(f.host)}`),
    NAGIOS_EC_LINE_DISABLE_HOST_NOTIFICATIONS: ec('DISABLE_HOST_NOTIFICATIONS', `${g(f.host)}`),
    NAGIOS_EC_LINE_DISABLE_SVC_NOTIFICATIONS: ec('DISABLE_SVC_NOTIFICATIONS', `${d(f.host)};${g(f.service)}`),
    NAGIOS_EC_LINE_ENABLE_HOST_SVC_NOTIFICATIONS: ec('ENABLE_HOST_SVC_NOTIFICATIONS', `${g(f.host)}`),
    NAGIOS_EC_LINE_ENABLE_HOST_NOTIFICATIONS: ec('ENABLE_HOST_NOTIFICATIONS', `${g(f.host)}`),
    NAGIOS_EC_LINE_ENABLE_SVC_NOTIFICATIONS: ec('ENABLE_SVC_NOTIFICATIONS', `${d(f.host)};${g(f.service)}`),
    NAGIOS_EC_LINE_SCHEDULE_HOST_DOWNTIME: ec(
      'SCHEDULE_HOST_DOWNTIME',
      `${d(f.host)};%{NUMBER:${f.start[mode]}};%{NUMBER:${f.end[mode]}};%{NUMBER:${f.fixed[mode]}};%{NUMBER:${f.trigger[mode]}};` +
        `${typed('NUMBER', 'nagios_duration', '[nagios][log][duration]:int')};${d(f.author)};${d(f.downtimecomment)}`,
    ),
  };
  const lines = [
    'NAGIOS_WARNING', 'NAGIOS_CURRENT_SERVICE_STATE', 'NAGIOS_CURRENT_HOST_STATE', 'NAGIOS_SERVICE_NOTIFICATION',
    'NAGIOS_HOST_NOTIFICATION', 'NAGIOS_SERVICE_ALERT', 'NAGIOS_HOST_ALERT', 'NAGIOS_SERVICE_FLAPPING_ALERT',
    'NAGIOS_HOST_FLAPPING_ALERT', 'NAGIOS_SERVICE_DOWNTIME_ALERT', 'NAGIOS_HOST_DOWNTIME_ALERT',
    'NAGIOS_PASSIVE_SERVICE_CHECK', 'NAGIOS_PASSIVE_HOST_CHECK', 'NAGIOS_SERVICE_EVENT_HANDLER',
    'NAGIOS_HOST_EVENT_HANDLER', 'NAGIOS_TIMEPERIOD_TRANSITION',
    ...Object.keys(p).filter((k) => k.startsWith('NAGIOS_EC_LINE_')),
  ];
  p.NAGIOSLOGLINE = `%{NAGIOSTIME} (?:${lines.map((l) => `%{${l}}`).join('|')})`;
  return p;
}

export const nagios: PatternFamily = { name: 'nagios', common, legacy: build(0), ecs: build(1) };
