/** Small families: MCollective, Maven versions, PostgreSQL. */
import { r, type PatternFamily } from './types.js';

export const misc: PatternFamily = {
  name: 'misc',
  common: {
    MAVEN_VERSION: r`(?:\d+)\.(?:\d+)\.(?:\d+)(?:[.-](?:RELEASE|SNAPSHOT))?`,
  },
  legacy: {
    MCOLLECTIVE: r`., \[%{TIMESTAMP_ISO8601:timestamp} #%{POSINT:pid}\]%{SPACE}%{LOGLEVEL:event_level}`,
    MCOLLECTIVEAUDIT: r`%{TIMESTAMP_ISO8601:timestamp}:`,
    POSTGRESQL: r`%{DATESTAMP:timestamp} %{TZ} %{DATA:user_id} %{GREEDYDATA:connection_id} %{POSINT:pid}`,
  },
  ecs: {
    MCOLLECTIVE: r`., \[%{TIMESTAMP_ISO8601:timestamp} #%{POSINT:[process][pid]:int}\]%{SPACE}%{LOGLEVEL:[log][level]}`,
    MCOLLECTIVEAUDIT: r`%{TIMESTAMP_ISO8601:timestamp}:`,
    POSTGRESQL: r`%{DATESTAMP:timestamp} %{TZ:[event][timezone]} %{DATA:[user][name]} %{GREEDYDATA:[postgresql][log][connection_id]} %{POSINT:[process][pid]:int}`,
  },
};
