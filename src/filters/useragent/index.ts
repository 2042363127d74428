/**
 * useragent: parses a User-Agent header into ECS fields under `target`:
 * name, version, os.name, os.version, os.full and device.name. Unknown parts are "Other",
 * as in Logstash. Parsing uses ua-parser-js 1.x (MIT), complemented by a few rules for what
 * it does not know: crawlers (device "Spider", taking precedence as in Logstash) and plain
 * `Tool/1.2` agents (curl, feed readers). Results are cached (LRU) per filter.
 */
import { Type } from '@sinclair/typebox';
import UAParser from 'ua-parser-js';
import type { Filter, FilterSpec } from '../../core/component.js';
import { getField, isPlainObject, parsePath, setField } from '../../core/event.js';
import { LruCache } from '../../core/lru.js';

export const useragentConfig = Type.Object(
  {
    field: Type.String({ default: 'user_agent.original', description: 'The field holding the User-Agent string.' }),
    target: Type.String({ default: 'user_agent', description: 'The object the parsed fields are written into (other keys in it, such as `original`, are kept).' }),
    cacheSize: Type.Integer({ minimum: 1, default: 10_000, description: 'Number of recent User-Agent strings cached (LRU).' }),
  },
  { additionalProperties: false },
);

export interface AgentInfo {
  name: string;
  version?: string;
  osName: string;
  osVersion?: string;
  osFull?: string;
  device: string;
}

const BOT = /(?:^|[\s;(+,])((?:[A-Za-z][\w.!-]*?)?(?:bot|spider|crawler|slurp|fetcher|archiver)[\w.!-]*)(?:[/ ]v?(\d+(?:\.\d+)*))?(?=[\s;/)+,]|$)/i;
const COMPATIBLE = /\(compatible; ?([^;/)]+?)\/v?(\d+(?:\.\d+)*)/;
const TOOL = /^([A-Za-z][\w .!-]*?)\/v?(\d+(?:\.\d+)*)/;

/** Parses one User-Agent string (uncached). */
export function parseUserAgent(parser: UAParser, userAgent: string): AgentInfo {
  // ua-parser-js reads at most 500 characters; so do the extra rules.
  const ua = userAgent.length > 500 ? userAgent.slice(0, 500) : userAgent;
  const r = parser.setUA(ua).getResult();
  let name = r.browser.name;
  let version = r.browser.version;
  let device: string | undefined;
  const bot = BOT.exec(ua);
  if (bot) {
    name = bot[1];
    version = bot[2];
    device = 'Spider';
  } else if (!name) {
    const m = COMPATIBLE.exec(ua) ?? TOOL.exec(ua);
    if (m && m[1] !== 'Mozilla') {
      name = m[1].trim();
      version = m[2];
    }
  }
  if (!device) {
    const { vendor, model } = r.device;
    if (model) device = vendor && vendor !== 'Apple' && !model.toLowerCase().startsWith(vendor.toLowerCase()) ? `${vendor} ${model}` : model;
  }
  const osName = r.os.name;
  const osVersion = r.os.version;
  return {
    name: name || 'Other',
    version: name ? version || undefined : undefined,
    osName: osName || 'Other',
    osVersion: osName ? osVersion || undefined : undefined,
    osFull: osName ? (osVersion ? `${osName} ${osVersion}` : osName) : undefined,
    device: device || 'Other',
  };
}

export const useragent: FilterSpec<typeof useragentConfig> = {
  kind: 'filter',
  name: 'useragent',
  summary: 'Parse a User-Agent string into browser, OS and device fields (ECS)',
  config: useragentConfig,
  create(config): Filter {
    const source = parsePath(config.field);
    const target = parsePath(config.target);
    const cache = new LruCache<string, AgentInfo>(config.cacheSize);
    const parser = new UAParser();
    // Warm the parser's regex tables now rather than inside the first event's time limit.
    parseUserAgent(parser, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36');

    return {
      process(event) {
        const ua = getField(event, source);
        if (typeof ua !== 'string') return;
        let info = cache.get(ua);
        if (info === undefined) {
          info = parseUserAgent(parser, ua);
          cache.set(ua, info);
        }
        const os: Record<string, unknown> = { name: info.osName };
        if (info.osVersion !== undefined) os.version = info.osVersion;
        if (info.osFull !== undefined) os.full = info.osFull;
        let obj = getField(event, target);
        if (!isPlainObject(obj)) {
          obj = {};
          setField(event, target, obj);
        }
        const t = obj as Record<string, unknown>;
        t.name = info.name;
        if (info.version !== undefined) t.version = info.version;
        t.os = os;
        t.device = { name: info.device };
      },
    };
  },
};
