/**
 * Base patterns: numbers, words, network addresses, paths, URIs, dates and times, log levels.
 * The same names and meanings as Logstash's `grok-patterns`, with definitions of our own.
 */
import { r, type PatternFamily } from './types.js';

/** Any BMP code unit that is neither ASCII nor a Unicode space (NBSP, U+2000–U+200A, U+3000, …); surrogates included. */
export const NON_ASCII_NON_SPACE = r`\u00A1-\u167F\u1681-\u1FFF\u200B-\u2027\u202A-\u202E\u2030-\u205E\u2060-\u2FFF\u3001-\uFEFE\uFF00-\uFFFF`;

const EMAIL_ATOM = r`[a-zA-Z0-9!#$%&'*+/=?^_\`{|}~-]`;
const HEX4 = r`[0-9A-Fa-f]{1,4}`;

/** IPv6 in all its textual forms; alternatives are ordered so that the longest form wins. */
const IPV6 = [
  // cheap guard: every IPv6 address has a ':' within its first five characters
  r`(?=[0-9A-Fa-f]{0,4}:)`,
  '(?:',
  [
    // forms ending in a dotted IPv4 address
    r`(?:${HEX4}:){6}%{IPV4}`,
    r`(?:${HEX4}:){1,5}:(?:${HEX4}:){0,4}%{IPV4}`,
    r`::(?:${HEX4}:){0,5}%{IPV4}`,
    // full form, then '::' compressed forms with the longest possible tail first
    r`(?:${HEX4}:){7}${HEX4}`,
    r`${HEX4}:(?::${HEX4}){1,6}`,
    r`(?:${HEX4}:){1,2}(?::${HEX4}){1,5}`,
    r`(?:${HEX4}:){1,3}(?::${HEX4}){1,4}`,
    r`(?:${HEX4}:){1,4}(?::${HEX4}){1,3}`,
    r`(?:${HEX4}:){1,5}(?::${HEX4}){1,2}`,
    r`(?:${HEX4}:){1,6}:${HEX4}`,
    r`(?:${HEX4}:){1,7}:`,
    r`:(?:(?::${HEX4}){1,7}|:)`,
  ].join('|'),
  ')',
  // zone index (fe80::1%eth0)
  r`(?:%[0-9A-Za-z._~-]+)?`,
].join('');

const OCTET = r`(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]{1,2})`;

export const base: PatternFamily = {
  name: 'base',
  common: {
    USERNAME: r`[a-zA-Z0-9._-]+`,
    USER: r`%{USERNAME}`,
    // RFC 5322 dot-atom local part, at most 64 characters
    EMAILLOCALPART: r`(?!(?:${EMAIL_ATOM}|\.){65})${EMAIL_ATOM}+(?:\.${EMAIL_ATOM}+)*`,
    EMAILADDRESS: r`%{EMAILLOCALPART}@%{HOSTNAME}`,
    INT: r`(?:[+-]?[0-9]+)`,
    BASE10NUM: r`(?<![0-9.+-])(?>[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+))`,
    NUMBER: r`(?:%{BASE10NUM})`,
    BASE16NUM: r`(?<![0-9A-Fa-f])(?:[+-]?(?:0x)?[0-9A-Fa-f]+)`,
    BASE16FLOAT: r`\b(?<![0-9A-Fa-f.])(?:[+-]?(?:0x)?(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?|\.[0-9A-Fa-f]+))\b`,
    POSINT: r`\b(?:[1-9][0-9]*)\b`,
    NONNEGINT: r`\b(?:[0-9]+)\b`,
    WORD: r`\b\w+\b`,
    NOTSPACE: r`\S+`,
    SPACE: r`\s*`,
    DATA: r`.*?`,
    GREEDYDATA: r`.*`,
    // double, single or back-quoted, with backslash escapes (unrolled loops: no nested quantifier can backtrack)
    QUOTEDSTRING: r`(?<!\\)(?:"[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*'|\`[^\`\\]*(?:\\.[^\`\\]*)*\`)`,
    QS: r`%{QUOTEDSTRING}`,
    UUID: r`[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}`,
    // RFC 8141: namespace identifier of 1–32 letters, digits and hyphens, then percent-encoded or allowed characters
    URN: r`urn:[0-9A-Za-z][0-9A-Za-z-]{0,31}:(?:%[0-9a-fA-F]{2}|[0-9A-Za-z()+,.:=@;$_!*'/?#-])+`,

    CISCOMAC: r`(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4}`,
    WINDOWSMAC: r`(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2}`,
    COMMONMAC: r`(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2}`,
    MAC: r`(?:%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC})`,
    IPV6,
    IPV4: r`(?<![0-9])(?:${OCTET}\.){3}${OCTET}(?![0-9])`,
    IP: r`(?:%{IPV6}|%{IPV4})`,
    HOSTNAME: r`\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\.?|\b)`,
    IPORHOST: r`(?:%{IP}|%{HOSTNAME})`,
    HOSTPORT: r`%{IPORHOST}:%{POSINT}`,

    PATH: r`(?:%{UNIXPATH}|%{WINPATH})`,
    UNIXPATH: r`(?:/[\w%!$@:.,+~\-${NON_ASCII_NON_SPACE}]*)+`,
    TTY: r`/dev/(?:pts|tty[pq]?)(?:\w+)?/?[0-9]+`,
    WINPATH: r`(?>[A-Za-z]+:|\\)(?:\\[^\\?*\n]*)+`,
    URIPROTO: r`[A-Za-z][A-Za-z0-9+.-]*`,
    URIPATH: r`(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+`,
    URIQUERY: r`[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*`,
    URIPARAM: r`\?%{URIQUERY}`,
    URIPATHPARAM: r`%{URIPATH}(?:\?%{URIQUERY})?`,
    URI: r`%{URIPROTO}://(?:%{USER}(?::[^@/\s]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?`,

    // English and German month names and abbreviations
    MONTH: r`\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm]ar(?:ch)?|[Mm]är(?:z)?|[Mm]rz|[Aa]pr(?:il)?|[Mm]ay|[Mm]ai|[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:t(?:ember)?)?|[Oo][ck]t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e[cz](?:ember)?)\b`,
    MONTHNUM: r`(?:0?[1-9]|1[0-2])`,
    MONTHNUM2: r`(?:0[1-9]|1[0-2])`,
    MONTHDAY: r`(?:0[1-9]|[12][0-9]|3[01]|[1-9])`,
    DAY: r`(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)`,
    YEAR: r`(?>\d\d){1,2}`,
    HOUR: r`(?:2[0123]|[01]?[0-9])`,
    MINUTE: r`(?:[0-5][0-9])`,
    // 60 for leap seconds; fractions after '.', ',' or ':'
    SECOND: r`(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)`,
    TIME: r`(?<![0-9])%{HOUR}:%{MINUTE}(?::%{SECOND})(?![0-9])`,
    DATE_US: r`%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}`,
    DATE_EU: r`%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}`,
    ISO8601_TIMEZONE: r`(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))`,
    ISO8601_SECOND: r`%{SECOND}`,
    TIMESTAMP_ISO8601: r`%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?`,
    DATE: r`%{DATE_US}|%{DATE_EU}`,
    DATESTAMP: r`%{DATE}[- ]%{TIME}`,
    TZ: r`(?:[APMCE][SD]T|UTC)`,
    DATESTAMP_RFC822: r`%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}`,
    DATESTAMP_RFC2822: r`%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}`,
    DATESTAMP_OTHER: r`%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}`,
    DATESTAMP_EVENTLOG: r`%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}`,

    SYSLOGTIMESTAMP: r`%{MONTH} +%{MONTHDAY} %{TIME}`,
    // printable ASCII except '[' and ']' (which delimit the pid)
    PROG: r`[\x21-\x5a\x5c\x5e-\x7e]+`,
    SYSLOGHOST: r`%{IPORHOST}`,
    HTTPDATE: r`%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}`,

    LOGLEVEL: r`(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo(?:rmation)?|INFO(?:RMATION)?|[Ww]arn(?:ing)?|WARN(?:ING)?|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?|CRIT(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|[Ee]merg(?:ency)?|EMERG(?:ENCY)?)`,
  },
  legacy: {
    URIHOST: r`%{IPORHOST}(?::%{POSINT:port})?`,
    SYSLOGPROG: r`%{PROG:program}(?:\[%{POSINT:pid}\])?`,
    SYSLOGFACILITY: r`<%{NONNEGINT:facility}.%{NONNEGINT:priority}>`,
    SYSLOGBASE: r`%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:`,
  },
  ecs: {
    URIHOST: r`%{IPORHOST}(?::%{POSINT})?`,
    SYSLOGPROG: r`%{PROG:[process][name]}(?:\[%{POSINT:[process][pid]:int}\])?`,
    SYSLOGFACILITY: r`<%{NONNEGINT:[log][syslog][facility][code]:int}.%{NONNEGINT:[log][syslog][priority]:int}>`,
    SYSLOGBASE: r`%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:[host][hostname]} %{SYSLOGPROG}:`,
  },
};
