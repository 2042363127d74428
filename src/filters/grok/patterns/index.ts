/**
 * The standard pattern library, one module per family, assembled per capture mode:
 * "legacy" (ecsCompatibility "disabled") and "ecs" (ecsCompatibility "v1"/"v8").
 */
import { aws } from './aws.js';
import { bacula } from './bacula.js';
import { base } from './base.js';
import { bind } from './bind.js';
import { bro } from './bro.js';
import { exim } from './exim.js';
import { firewalls } from './firewalls.js';
import { haproxy } from './haproxy.js';
import { httpd } from './httpd.js';
import { java } from './java.js';
import { junos } from './junos.js';
import { misc } from './misc.js';
import { mongodb } from './mongodb.js';
import { nagios } from './nagios.js';
import { rails } from './rails.js';
import { redis } from './redis.js';
import { squid } from './squid.js';
import { syslog } from './syslog.js';
import type { PatternFamily } from './types.js';

export type PatternMode = 'legacy' | 'ecs';

export const FAMILIES: readonly PatternFamily[] = [
  base, httpd, syslog, java, haproxy, squid, redis, mongodb, rails, bind, exim, aws, bro, bacula, junos, nagios, firewalls, misc,
];

const libraries = new Map<PatternMode, ReadonlyMap<string, string>>();

/** Name → definition for one mode. Built once; a name defined by two families is a bug and throws. */
export function patternLibrary(mode: PatternMode): ReadonlyMap<string, string> {
  let lib = libraries.get(mode);
  if (lib) return lib;
  const map = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const family of FAMILIES) {
    for (const defs of [family.common, mode === 'legacy' ? family.legacy : family.ecs]) {
      for (const [name, def] of Object.entries(defs ?? {})) {
        const previous = owner.get(name);
        if (previous !== undefined && previous !== family.name) {
          throw new Error(`grok pattern ${name} is defined by both the ${previous} and the ${family.name} families`);
        }
        if (previous === family.name && family.common && Object.hasOwn(family.common, name)) {
          throw new Error(`grok pattern ${name} is defined both as common and as ${mode} in the ${family.name} family`);
        }
        owner.set(name, family.name);
        map.set(name, def);
      }
    }
  }
  lib = map;
  libraries.set(mode, lib);
  return lib;
}

/** The family (module) that defines a pattern name, in either mode. */
export function familyOf(name: string): string | undefined {
  for (const family of FAMILIES) {
    if ([family.common, family.legacy, family.ecs].some((d) => d && Object.hasOwn(d, name))) return family.name;
  }
  return undefined;
}
