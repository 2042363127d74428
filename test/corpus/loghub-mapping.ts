/**
 * How the Loghub ground truth (`<System>_2k.log_structured.csv`, columns named by the
 * Loghub authors) maps onto the ECS fields our example pipelines produce. docs/pipelines.md
 * has the same tables for readers.
 *
 * Normalisation, the same for every system:
 * - Loghub strips each line and splits header fields on runs of whitespace, so its
 *   `Content` has no leading or trailing whitespace; ours keeps the text exactly as it
 *   follows the header. Both sides are compared trimmed.
 * - Numbers are compared as text (`process.pid` 19939 vs "19939").
 * - Linux and OpenSSH syslog lines carry no year: the date filter gives them the current
 *   year (as Logstash does), so only month, day and time of `@timestamp` are compared.
 * - An empty CSV cell means "absent": the event must not have the field (or have it empty).
 */
import { field, type Event } from './helpers.js';

/** One compared value: the label shown in reports, what the CSV says, what the event says. */
export interface Check {
  label: string;
  expected: string | undefined;
  actual: string | undefined;
}

export interface System {
  /** Folder and file prefix in the corpus (`Linux` → loghub/Linux/Linux_2k.log). */
  name: string;
  pipeline: string;
  checks(row: Record<string, string>, event: Event): Check[];
}

const MONTHS: Record<string, string> = {
  Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06', Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12',
};
const pad2 = (s: string) => s.padStart(2, '0');
const text = (v: unknown): string | undefined => {
  if (v === undefined || v === null) return undefined;
  const t = String(v).trim();
  return t === '' ? undefined : t;
};
const cell = (s: string | undefined): string | undefined => (s === undefined || s.trim() === '' ? undefined : s.trim());
const f = (event: Event, path: string) => text(field(event, path));
const ts = (event: Event) => f(event, '@timestamp');
/** `MM-DDTHH:mm:ss` of an ISO timestamp (for year-less syslog dates). */
const monthDayTime = (iso: string | undefined) => iso?.slice(5, 19);

function check(label: string, expected: string | undefined, actual: string | undefined): Check {
  return { label, expected, actual };
}

export const SYSTEMS: System[] = [
  {
    name: 'Linux',
    pipeline: 'pipelines/loghub-linux.json',
    // Month,Date,Time,Level,Component,PID,Content — "Level" holds the host name
    checks: (r, e) => [
      check('@timestamp (month, day, time) ← Month Date Time', `${MONTHS[r.Month]}-${pad2(r.Date)}T${r.Time}`, monthDayTime(ts(e))),
      check('host.hostname ← Level', cell(r.Level), f(e, 'host.hostname')),
      check('process.name ← Component', cell(r.Component), f(e, 'process.name')),
      check('process.pid ← PID', cell(r.PID), f(e, 'process.pid')),
      check('message ← Content', cell(r.Content), f(e, 'message')),
    ],
  },
  {
    name: 'OpenSSH',
    pipeline: 'pipelines/loghub-openssh.json',
    // Date,Day,Time,Component,Pid,Content — "Date" is the month, "Component" the host name
    checks: (r, e) => [
      check('@timestamp (month, day, time) ← Date Day Time', `${MONTHS[r.Date]}-${pad2(r.Day)}T${r.Time}`, monthDayTime(ts(e))),
      check('host.hostname ← Component', cell(r.Component), f(e, 'host.hostname')),
      check('process.pid ← Pid', cell(r.Pid), f(e, 'process.pid')),
      check('message ← Content', cell(r.Content), f(e, 'message')),
    ],
  },
  {
    name: 'HDFS',
    pipeline: 'pipelines/loghub-hdfs.json',
    // Date (yyMMdd),Time (HHmmss),Pid,Level,Component,Content
    checks: (r, e) => [
      check(
        '@timestamp ← Date Time',
        `20${r.Date.slice(0, 2)}-${r.Date.slice(2, 4)}-${r.Date.slice(4, 6)}T${r.Time.slice(0, 2)}:${r.Time.slice(2, 4)}:${r.Time.slice(4, 6)}.000Z`,
        ts(e),
      ),
      check('process.pid ← Pid', cell(r.Pid), f(e, 'process.pid')),
      check('log.level ← Level', cell(r.Level), f(e, 'log.level')),
      check('log.logger ← Component', cell(r.Component), f(e, 'log.logger')),
      check('message ← Content', cell(r.Content), f(e, 'message')),
    ],
  },
  {
    name: 'Hadoop',
    pipeline: 'pipelines/loghub-hadoop.json',
    // Date,Time (HH:mm:ss,SSS),Level,Process,Component,Content — "Process" is the thread
    checks: (r, e) => [
      check('@timestamp ← Date Time', `${r.Date}T${r.Time.replace(',', '.')}Z`, ts(e)),
      check('log.level ← Level', cell(r.Level), f(e, 'log.level')),
      check('process.thread.name ← Process', cell(r.Process), f(e, 'process.thread.name')),
      check('log.logger ← Component', cell(r.Component), f(e, 'log.logger')),
      check('message ← Content', cell(r.Content), f(e, 'message')),
    ],
  },
  {
    name: 'Spark',
    pipeline: 'pipelines/loghub-spark.json',
    // Date (yy/MM/dd),Time,Level,Component,Content
    checks: (r, e) => {
      const [yy, mm, dd] = r.Date.split('/');
      return [
        check('@timestamp ← Date Time', `20${yy}-${mm}-${dd}T${r.Time}.000Z`, ts(e)),
        check('log.level ← Level', cell(r.Level), f(e, 'log.level')),
        check('log.logger ← Component', cell(r.Component), f(e, 'log.logger')),
        check('message ← Content', cell(r.Content), f(e, 'message')),
      ];
    },
  },
  {
    name: 'Zookeeper',
    pipeline: 'pipelines/loghub-zookeeper.json',
    // Date,Time,Level,Node,Component,Id,Content. The log4j layout is [%t:%C{1}@%L]; Loghub
    // split "thread:Class" at the first colon, we at the last one (thread names hold colons:
    // "QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181"), so the two are compared joined.
    checks: (r, e) => [
      check('@timestamp ← Date Time', `${r.Date}T${r.Time.replace(',', '.')}Z`, ts(e)),
      check('log.level ← Level', cell(r.Level), f(e, 'log.level')),
      check('process.thread.name:log.logger ← Node:Component', `${r.Node}:${r.Component}`, `${f(e, 'process.thread.name')}:${f(e, 'log.logger')}`),
      check('log.origin.file.line ← Id', cell(r.Id), f(e, 'log.origin.file.line')),
      check('message ← Content', cell(r.Content), f(e, 'message')),
    ],
  },
  {
    name: 'Apache',
    pipeline: 'pipelines/loghub-apache.json',
    // Time ("Sun Dec 04 04:47:44 2005"),Level,Content — Content keeps the "[client <ip>] "
    // part that HTTPD_ERRORLOG puts into source.address
    checks: (r, e) => {
      const [, mon, day, time, year] = r.Time.split(' ');
      const client = f(e, 'source.address');
      const message = f(e, 'message');
      return [
        check('@timestamp ← Time', `${year}-${MONTHS[mon]}-${pad2(day)}T${time}.000Z`, ts(e)),
        check('log.level ← Level', cell(r.Level), f(e, 'log.level')),
        check('[client source.address] message ← Content', cell(r.Content), client !== undefined ? `[client ${client}] ${message ?? ''}`.trim() : message),
      ];
    },
  },
  {
    name: 'OpenStack',
    pipeline: 'pipelines/loghub-openstack.json',
    // Logrecord,Date,Time,Pid,Level,Component,ADDR,Content — Logrecord is the log file name,
    // ADDR the oslo request context between the brackets
    checks: (r, e) => [
      check('log.file.path ← Logrecord', cell(r.Logrecord), f(e, 'log.file.path')),
      check('@timestamp ← Date Time', `${r.Date}T${r.Time}Z`, ts(e)),
      check('process.pid ← Pid', cell(r.Pid), f(e, 'process.pid')),
      check('log.level ← Level', cell(r.Level), f(e, 'log.level')),
      check('log.logger ← Component', cell(r.Component), f(e, 'log.logger')),
      check('openstack.context ← ADDR', cell(r.ADDR), f(e, 'openstack.context')),
      check('message ← Content', cell(r.Content), f(e, 'message')),
    ],
  },
];
