/** Apache httpd (and nginx "combined") access logs and Apache error logs. */
import { r, type PatternFamily } from './types.js';

export const httpd: PatternFamily = {
  name: 'httpd',
  common: {
    HTTPDUSER: r`%{EMAILADDRESS}|%{USER}`,
    HTTPDERROR_DATE: r`%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}`,
    HTTPD_ERRORLOG: r`%{HTTPD20_ERRORLOG}|%{HTTPD24_ERRORLOG}`,
    // deprecated aliases
    COMMONAPACHELOG: r`%{HTTPD_COMMONLOG}`,
    COMBINEDAPACHELOG: r`%{HTTPD_COMBINEDLOG}`,
  },
  legacy: {
    HTTPD_COMMONLOG: r`%{IPORHOST:clientip} %{HTTPDUSER:ident} %{HTTPDUSER:auth} \[%{HTTPDATE:timestamp}\] "(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" (?:-|%{NUMBER:response}) (?:-|%{NUMBER:bytes})`,
    HTTPD_COMBINEDLOG: r`%{HTTPD_COMMONLOG} %{QS:referrer} %{QS:agent}`,
    HTTPD20_ERRORLOG: r`\[%{HTTPDERROR_DATE:timestamp}\] \[%{LOGLEVEL:loglevel}\] (?:\[client %{IPORHOST:clientip}\] )?%{GREEDYDATA:message}`,
    HTTPD24_ERRORLOG: r`\[%{HTTPDERROR_DATE:timestamp}\] \[(?:%{WORD:module})?:%{LOGLEVEL:loglevel}\] \[pid %{POSINT:pid}(?::tid %{NUMBER:tid})?\](?: \(%{POSINT:proxy_errorcode}\)%{DATA:proxy_message}:)?(?: \[client %{IPORHOST:clientip}:%{POSINT:clientport}\])?(?: %{DATA:errorcode}:)? %{GREEDYDATA:message}`,
  },
  ecs: {
    HTTPD_COMMONLOG: r`%{IPORHOST:[source][address]} (?:-|%{HTTPDUSER:[apache][access][user][identity]}) (?:-|%{HTTPDUSER:[user][name]}) \[%{HTTPDATE:timestamp}\] "(?:%{WORD:[http][request][method]} %{NOTSPACE:[url][original]}(?: HTTP/%{NUMBER:[http][version]})?|%{DATA})" (?:-|%{INT:[http][response][status_code]:int}) (?:-|%{INT:[http][response][body][bytes]:int})`,
    HTTPD_COMBINEDLOG: r`%{HTTPD_COMMONLOG} "(?:-|%{DATA:[http][request][referrer]})" "(?:-|%{DATA:[user_agent][original]})"`,
    HTTPD20_ERRORLOG: r`\[%{HTTPDERROR_DATE:timestamp}\] \[%{LOGLEVEL:[log][level]}\] (?:\[client %{IPORHOST:[source][address]}\] )?%{GREEDYDATA:message}`,
    HTTPD24_ERRORLOG: r`\[%{HTTPDERROR_DATE:timestamp}\] \[(?:%{WORD:[apache][error][module]})?:%{LOGLEVEL:[log][level]}\] \[pid %{POSINT:[process][pid]:int}(?::tid %{INT:[process][thread][id]:int})?\](?: \(%{POSINT:[apache][error][proxy][error][code]}\)%{DATA:[apache][error][proxy][error][message]}:)?(?: \[client %{IPORHOST:[source][address]}(?::%{POSINT:[source][port]:int})?\])?(?: %{DATA:[error][code]}:)? %{GREEDYDATA:message}`,
  },
};
