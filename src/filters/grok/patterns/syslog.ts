/** Linux syslog (RFC 3164 and RFC 5424 lines), PAM sessions and cron. */
import { r, type PatternFamily } from './types.js';

export const syslog: PatternFamily = {
  name: 'syslog',
  common: {
    SYSLOG5424PRINTASCII: r`[!-~]+`,
    // one or more [SD-ID param="value" …] elements; a value may hold an escaped ']'
    SYSLOG5424SD: r`(?:\[(?:[^\]\\]|\\.)*\])+`,
    CRON_ACTION: r`[A-Z ]+`,
    SYSLOGLINE: r`%{SYSLOGBASE2} %{GREEDYDATA:message}`,
  },
  legacy: {
    SYSLOGBASE2: r`(?:%{SYSLOGTIMESTAMP:timestamp}|%{TIMESTAMP_ISO8601:timestamp8601})(?: %{SYSLOGFACILITY})?(?: %{SYSLOGHOST:logsource})?(?: %{SYSLOGPROG}:)?`,
    SYSLOGPAMSESSION: r`%{SYSLOGBASE} (?=%{GREEDYDATA:message})%{WORD:pam_module}\(%{DATA:pam_caller}\): session %{WORD:pam_session_state} for user %{USERNAME:username}(?: by %{GREEDYDATA:pam_by})?`,
    CRONLOG: r`%{SYSLOGBASE} \(%{USER:user}\) %{CRON_ACTION:action} \(%{DATA:message}\)`,
    SYSLOG5424PRI: r`<%{NONNEGINT:syslog5424_pri}>`,
    SYSLOG5424BASE: r`%{SYSLOG5424PRI}%{NONNEGINT:syslog5424_ver} +(?:%{TIMESTAMP_ISO8601:syslog5424_ts}|-) +(?:%{IPORHOST:syslog5424_host}|-) +(?:-|%{SYSLOG5424PRINTASCII:syslog5424_app}) +(?:-|%{SYSLOG5424PRINTASCII:syslog5424_proc}) +(?:-|%{SYSLOG5424PRINTASCII:syslog5424_msgid}) +(?:%{SYSLOG5424SD:syslog5424_sd}|-|)`,
    SYSLOG5424LINE: r`%{SYSLOG5424BASE} +%{GREEDYDATA:syslog5424_msg}`,
  },
  ecs: {
    SYSLOGBASE2: r`(?:%{SYSLOGTIMESTAMP:timestamp}|%{TIMESTAMP_ISO8601:timestamp})(?: %{SYSLOGFACILITY})?(?: %{SYSLOGHOST:[host][hostname]})?(?: %{SYSLOGPROG}:)?`,
    SYSLOGPAMSESSION: r`%{SYSLOGBASE} (?=%{GREEDYDATA:message})%{WORD:[system][auth][pam][module]}\(%{DATA:[system][auth][pam][origin]}\): session %{WORD:[system][auth][pam][session_state]} for user %{USERNAME:[user][name]}(?: by %{GREEDYDATA})?`,
    CRONLOG: r`%{SYSLOGBASE} \(%{USER:[user][name]}\) %{CRON_ACTION:[system][cron][action]} \(%{DATA:message}\)`,
    SYSLOG5424PRI: r`<%{NONNEGINT:[log][syslog][priority]:int}>`,
    // a numeric PROCID becomes process.pid; another PROCID is matched but not kept
    SYSLOG5424BASE: r`%{SYSLOG5424PRI}%{NONNEGINT:[system][syslog][version]} +(?:-|%{TIMESTAMP_ISO8601:timestamp}) +(?:-|%{IPORHOST:[host][hostname]}) +(?:-|%{SYSLOG5424PRINTASCII:[process][name]}) +(?:-|%{POSINT:[process][pid]:int}(?= )|%{SYSLOG5424PRINTASCII}) +(?:-|%{SYSLOG5424PRINTASCII:[event][code]}) +(?:%{SYSLOG5424SD:[system][syslog][structured_data]}|-|)`,
    SYSLOG5424LINE: r`%{SYSLOG5424BASE} +%{GREEDYDATA:message}`,
  },
};
