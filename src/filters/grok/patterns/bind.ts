/** BIND 9 query log. */
import { r, type PatternFamily } from './types.js';

export const bind: PatternFamily = {
  name: 'bind',
  common: {
    BIND9_TIMESTAMP: r`%{MONTHDAY}[-]%{MONTH}[-]%{YEAR} %{TIME}`,
    BIND9: r`%{BIND9_QUERYLOG}`,
  },
  legacy: {
    BIND9_QUERYLOGBASE: r`client(?: @0x[0-9A-Fa-f]+)? %{IP:clientip}#%{POSINT:clientport} \(%{GREEDYDATA:query}\): query: %{GREEDYDATA:query} IN %{GREEDYDATA:querytype} \(%{IP:dns}\)`,
    BIND9_QUERYLOG: r`%{BIND9_TIMESTAMP:timestamp} queries: %{LOGLEVEL:loglevel}: %{BIND9_QUERYLOGBASE}`,
  },
  ecs: {
    BIND9_QUERYLOGBASE: r`client(?: @0x[0-9A-Fa-f]+)? %{IP:[client][ip]}#%{POSINT:[client][port]:int} \(%{GREEDYDATA:[bind][log][question][name]}\): query: %{GREEDYDATA:[dns][question][name]} (?<[dns][question][class]>IN) %{NOTSPACE:[dns][question][type]}(?: %{DATA:[bind][log][question][flags]})? \(%{IP:[server][ip]}\)`,
    BIND9_QUERYLOG: r`%{BIND9_TIMESTAMP:timestamp} %{WORD:[bind][log][category]}: %{LOGLEVEL:[log][level]}: %{BIND9_QUERYLOGBASE}`,
  },
};
