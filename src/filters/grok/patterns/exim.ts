/** Exim main log: message arrivals ("<=" lines). */
import { r, type PatternFamily } from './types.js';

export const exim: PatternFamily = {
  name: 'exim',
  common: {
    EXIM_MSGID: r`[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}`,
    // <= arrival, => delivery, -> additional address, *> suppressed, ** failed, == deferred
    EXIM_FLAGS: r`(?:<=|=>|->|\*>|\*\*|==|<>|>>)`,
    EXIM_QT: r`(?:(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?)`,
    EXIM_EXCLUDE_TERMS: r`(?:Message is frozen|(?:Start|End) queue run| Warning: | retry time not reached | no (?:IP address|host name) found for (?:IP address|host) | unexpected disconnection while reading SMTP command | no immediate delivery: |another process is handling this message)`,
    // fields of an arrival line that are not captured
    EXIM_SKIP: r`(?: (?:U|X|CV|A|M8S|K|DKIM|QT|DT|C|RT)=\S+)*`,
  },
  legacy: {
    EXIM_DATE: r`%{YEAR:exim_year}-%{MONTHNUM:exim_month}-%{MONTHDAY:exim_day} %{TIME:exim_time}`,
    EXIM_PID: r`\[%{POSINT:pid}\]`,
    EXIM_REMOTE_HOST: r`H=(?:%{NOTSPACE:remote_hostname} )?(?:\(%{NOTSPACE:remote_heloname}\) )?\[%{IP:remote_host}\](?::%{POSINT:remote_port})?`,
    EXIM_INTERFACE: r`I=\[%{IP:exim_interface}\](?::%{NUMBER:exim_interface_port})?`,
    EXIM_PROTOCOL: r`P=%{NOTSPACE:protocol}`,
    EXIM_MSG_SIZE: r`S=%{NUMBER:exim_msg_size}`,
    EXIM_HEADER_ID: r`id=%{NOTSPACE:exim_header_id}`,
    EXIM_SUBJECT: r`T=%{QS:exim_subject}`,
    EXIM: r`%{EXIM_DATE:timestamp} (?:%{EXIM_PID} )?%{EXIM_MSGID:exim_msgid} (?<exim_flags><=) (?<exim_sender_email>\S*)(?: %{EXIM_REMOTE_HOST})?(?: %{EXIM_INTERFACE})?%{EXIM_SKIP}(?: %{EXIM_PROTOCOL})?%{EXIM_SKIP}(?: %{EXIM_MSG_SIZE})?%{EXIM_SKIP}(?: %{EXIM_HEADER_ID})?(?: %{EXIM_SUBJECT})?(?: from <%{DATA:exim_sender_original}>)?(?: for %{GREEDYDATA:exim_recipient_email})?`,
  },
  ecs: {
    EXIM_DATE: r`%{YEAR}-%{MONTHNUM}-%{MONTHDAY} %{TIME}`,
    EXIM_PID: r`\[%{POSINT:[process][pid]:int}\]`,
    EXIM_REMOTE_HOST: r`H=(?:%{NOTSPACE:[source][address]} )?(?:\(%{NOTSPACE:[exim][log][remote_address]}\) )?\[%{IP:[source][ip]}\](?::%{POSINT:[source][port]:int})?`,
    EXIM_INTERFACE: r`I=\[%{IP:[destination][ip]}\](?::%{NUMBER:[destination][port]:int})?`,
    EXIM_PROTOCOL: r`P=%{NOTSPACE:[network][protocol]}`,
    EXIM_MSG_SIZE: r`S=%{NUMBER:[exim][log][message][size]:int}`,
    EXIM_HEADER_ID: r`id=%{NOTSPACE:[exim][log][header_id]}`,
    // the subject without its quotes (backslash escapes kept as written)
    EXIM_SUBJECT: r`T="(?<[exim][log][message][subject]>[^"\\]*(?:\\.[^"\\]*)*)"`,
    EXIM: r`%{EXIM_DATE:timestamp} (?:%{EXIM_PID} )?%{EXIM_MSGID:[exim][log][message][id]} (?<[exim][log][flags]><=) (?<[exim][log][sender][email]>\S*)(?: %{EXIM_REMOTE_HOST})?(?: %{EXIM_INTERFACE})?%{EXIM_SKIP}(?: %{EXIM_PROTOCOL})?%{EXIM_SKIP}(?: %{EXIM_MSG_SIZE})?%{EXIM_SKIP}(?: %{EXIM_HEADER_ID})?(?: %{EXIM_SUBJECT})?(?: from <%{DATA:[exim][log][sender][original]}>)?(?: for %{GREEDYDATA:[exim][log][recipient][email]})?`,
  },
};
