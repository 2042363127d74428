/**
 * The one place that lists the components. Adding a component is adding its folder and a
 * line here; the runtime, the schema generator and the docs pick it up from this list.
 */
import type { Components } from './config/load.js';
import { kafka } from './inputs/kafka/index.js';
import { elasticsearch } from './outputs/elasticsearch/index.js';
import { json } from './filters/json/index.js';
import { mutate } from './filters/mutate/index.js';

export const components: Components = {
  inputs: [kafka],
  filters: [json, mutate],
  outputs: [elasticsearch],
};
