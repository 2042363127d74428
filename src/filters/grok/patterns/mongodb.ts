/** MongoDB logs (2.x slow queries and 3.x+ text log lines). */
import { r, type PatternFamily } from './types.js';

export const mongodb: PatternFamily = {
  name: 'mongodb',
  common: {
    MONGO_WORDDASH: r`\b[\w-]+\b`,
    // "{ … }" up to the " ntoreturn:" that follows the query document
    MONGO_QUERY: r`\{ .*? \}(?= ntoreturn:)`,
    MONGO3_SEVERITY: r`\w`,
    MONGO3_COMPONENT: r`%{WORD}|-`,
  },
  legacy: {
    MONGO_LOG: r`%{SYSLOGTIMESTAMP:timestamp} \[%{WORD:component}\] %{GREEDYDATA:message}`,
    MONGO_SLOWQUERY: r`%{WORD:op} %{MONGO_WORDDASH:database}\.%{MONGO_WORDDASH:collection} %{WORD}: %{MONGO_QUERY:query} %{WORD}:%{NONNEGINT:ntoreturn} %{WORD}:%{NONNEGINT:ntoskip} %{WORD}:%{NONNEGINT:nscanned}.*?nreturned:%{NONNEGINT:nreturned}.*? (?<duration>[0-9]+)ms`,
    MONGO3_LOG: r`%{TIMESTAMP_ISO8601:timestamp} %{MONGO3_SEVERITY:severity} %{MONGO3_COMPONENT:component}%{SPACE}(?:\[%{DATA:context}\])? %{GREEDYDATA:message}`,
  },
  ecs: {
    MONGO_LOG: r`%{SYSLOGTIMESTAMP:timestamp} \[%{WORD:[mongodb][component]}\] %{GREEDYDATA:message}`,
    MONGO_SLOWQUERY: r`%{WORD:[mongodb][profile][op]} %{MONGO_WORDDASH:[mongodb][database]}\.%{MONGO_WORDDASH:[mongodb][collection]} %{WORD}: %{MONGO_QUERY:[mongodb][query][original]} %{WORD}:%{NONNEGINT:[mongodb][profile][ntoreturn]:int} %{WORD}:%{NONNEGINT:[mongodb][profile][ntoskip]:int} %{WORD}:%{NONNEGINT:[mongodb][profile][nscanned]:int}.*?nreturned:%{NONNEGINT:[mongodb][profile][nreturned]:int}.*? %{INT:[mongodb][profile][duration]:int}ms`,
    MONGO3_LOG: r`%{TIMESTAMP_ISO8601:timestamp} %{MONGO3_SEVERITY:[log][level]} (?:-|%{WORD:[mongodb][component]})%{SPACE}(?:\[%{DATA:[mongodb][context]}\])? %{GREEDYDATA:message}`,
  },
};
