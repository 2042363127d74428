/** Redis server log and MONITOR output. */
import { r, type PatternFamily } from './types.js';

export const redis: PatternFamily = {
  name: 'redis',
  common: {
    REDISTIMESTAMP: r`%{MONTHDAY} %{MONTH} %{TIME}`,
  },
  legacy: {
    REDISLOG: r`\[%{POSINT:pid}\] %{REDISTIMESTAMP:timestamp} \* `,
    REDISMONLOG: r`%{NUMBER:timestamp} \[%{INT:database} %{IP:client}:%{POSINT:port}\] "%{WORD:command}"\s?%{GREEDYDATA:params}`,
  },
  ecs: {
    REDISLOG: r`\[%{POSINT:[process][pid]:int}\] %{REDISTIMESTAMP:timestamp} \*`,
    REDISMONLOG: r`%{NUMBER:timestamp} \[%{INT:[redis][database][id]} %{IPORHOST:[client][ip]}:%{POSINT:[client][port]:int}\] "%{WORD:[redis][command][name]}"\s?%{GREEDYDATA:[redis][command][args]}`,
  },
};
