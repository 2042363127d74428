/**
 * The one place that lists the components. Adding a component is adding its folder and a
 * line here; the runtime, the schema generator and the docs pick it up from this list.
 */
import type { Components } from './config/load.js';
import { kafka } from './inputs/kafka/index.js';
import { elasticsearch } from './outputs/elasticsearch/index.js';
import { cidr } from './filters/cidr/index.js';
import { clone } from './filters/clone/index.js';
import { csv } from './filters/csv/index.js';
import { date } from './filters/date/index.js';
import { de_dot } from './filters/de_dot/index.js';
import { dissect } from './filters/dissect/index.js';
import { dns } from './filters/dns/index.js';
import { drop } from './filters/drop/index.js';
import { fingerprint } from './filters/fingerprint/index.js';
import { geoip } from './filters/geoip/index.js';
import { grok } from './filters/grok/index.js';
import { json } from './filters/json/index.js';
import { json_encode } from './filters/json_encode/index.js';
import { kv } from './filters/kv/index.js';
import { mutate } from './filters/mutate/index.js';
import { prune } from './filters/prune/index.js';
import { split } from './filters/split/index.js';
import { syslog_pri } from './filters/syslog_pri/index.js';
import { translate } from './filters/translate/index.js';
import { truncate } from './filters/truncate/index.js';
import { urldecode } from './filters/urldecode/index.js';
import { uuid } from './filters/uuid/index.js';
import { xml } from './filters/xml/index.js';
import { useragent } from './filters/useragent/index.js';

export const components: Components = {
  inputs: [kafka],
  filters: [cidr, clone, csv, date, de_dot, dissect, dns, drop, fingerprint, geoip, grok, json, json_encode, kv, mutate, prune, split, syslog_pri, translate, truncate, urldecode, useragent, uuid, xml],
  outputs: [elasticsearch],
};
