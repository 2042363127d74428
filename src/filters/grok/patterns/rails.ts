/** Ruby on Rails 3+ request logs (possibly multi-line) and Ruby's Logger format. */
import { r, type PatternFamily } from './types.js';

export const rails: PatternFamily = {
  name: 'rails',
  common: {
    RUUID: r`\h{32}`,
    RUBY_LOGLEVEL: r`(?:DEBUG|FATAL|ERROR|WARN|INFO)`,
  },
  legacy: {
    RCONTROLLER: r`(?<controller>[^#]+)#(?<action>\w+)`,
    RAILS3HEAD: r`(?m)Started %{WORD:verb} "%{URIPATHPARAM:request}" for %{IPORHOST:clientip} at (?<timestamp>%{YEAR}-%{MONTHNUM}-%{MONTHDAY} %{HOUR}:%{MINUTE}:%{SECOND} %{ISO8601_TIMEZONE})`,
    RPROCESSING: r`\W*Processing by %{RCONTROLLER} as (?<format>\S+)(?:\W*Parameters: \{%{DATA:params}\}\W*)?`,
    RAILS3PROFILE: r`(?:\(Views: %{NUMBER:viewms}ms \| ActiveRecord: %{NUMBER:activerecordms}ms|\(ActiveRecord: %{NUMBER:activerecordms}ms)?`,
    RAILS3FOOT: r`Completed %{NUMBER:response}%{DATA} in %{NUMBER:totalms}ms %{RAILS3PROFILE}%{GREEDYDATA}`,
    // the lines between the head and the foot ([^\n]*\n cannot backtrack catastrophically)
    RAILS3: r`%{RAILS3HEAD}(?:%{RPROCESSING})?(?<context>(?:[^\n]*\n)*)(?:%{RAILS3FOOT})?`,
    RUBY_LOGGER: r`[DFEWI], \[%{TIMESTAMP_ISO8601:timestamp} #%{POSINT:pid}\] *%{RUBY_LOGLEVEL:loglevel} -- +%{DATA:progname}: %{GREEDYDATA:message}`,
  },
  ecs: {
    RCONTROLLER: r`(?<[rails][controller][class]>[^#]+)#(?<[rails][controller][action]>\w+)`,
    RAILS3HEAD: r`(?m)Started %{WORD:[http][request][method]} "%{URIPATHPARAM:[url][original]}" for %{IPORHOST:[source][address]} at (?<timestamp>%{YEAR}-%{MONTHNUM}-%{MONTHDAY} %{HOUR}:%{MINUTE}:%{SECOND} %{ISO8601_TIMEZONE})`,
    RPROCESSING: r`\W*Processing by %{RCONTROLLER} as (?<[rails][request][format]>\S+)(?:\W*Parameters: \{%{DATA:[rails][request][params]}\}\W*)?`,
    RAILS3PROFILE: r`(?:\(Views: %{NUMBER:[rails][request][duration][view]:float}ms \| ActiveRecord: %{NUMBER:[rails][request][duration][active_record]:float}ms|\(ActiveRecord: %{NUMBER:[rails][request][duration][active_record]:float}ms)?`,
    RAILS3FOOT: r`Completed %{POSINT:[http][response][status_code]:int}%{DATA} in %{NUMBER:[rails][request][duration][total]:float}ms %{RAILS3PROFILE}%{GREEDYDATA}`,
    RAILS3: r`%{RAILS3HEAD}(?:%{RPROCESSING})?(?<[rails][request][explain][original]>(?:[^\n]*\n)*)(?:%{RAILS3FOOT})?`,
    RUBY_LOGGER: r`[DFEWI], \[%{TIMESTAMP_ISO8601:timestamp} #%{POSINT:[process][pid]:int}\] *%{RUBY_LOGLEVEL:[log][level]} -- +%{DATA:[process][name]}: %{GREEDYDATA:message}`,
  },
};
