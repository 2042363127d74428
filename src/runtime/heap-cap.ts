/**
 * The default V8 heap cap of `sluice run`, from the pipelines' in-flight limits, so that the
 * memory a process may use follows from its configuration (docs/operations.md, "Memory"):
 *
 *   heap cap MiB = 64 + Σ over pipelines (maxInFlightEvents × 3 KiB + maxInFlightBytes) / MiB
 *
 * 64 MiB holds the code, the pattern libraries, the clients and the caches (each bounded); per
 * in-flight record about 3 KiB of parsed event and its share of the bulk body being built or
 * sent, plus the decoded text of the record values (at most maxInFlightBytes). With the
 * defaults (8,000 records, 32 MiB) one pipeline gets 120 MiB. Buffers (record values, the
 * GeoIP database) live outside the V8 heap and are not part of the cap.
 *
 * bin/sluice applies it with --max-old-space-size unless NODE_OPTIONS or the node command
 * line already set one, or SLUICE_HEAP_CAP_MB says otherwise (a number, or `off`).
 *
 * Kept free of the component registry: bin/sluice computes it before the real start.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'jsonc-parser';
import { pipelineFiles } from '../cli/files.js';

export const HEAP_BASE_MIB = 64;
export const HEAP_PER_IN_FLIGHT_EVENT_BYTES = 3 * 1024;
/** The schema's defaults (src/config/pipeline-schema.ts, limits). */
export const DEFAULT_MAX_IN_FLIGHT_EVENTS = 8000;
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;

export interface InFlightLimits {
  maxInFlightEvents?: number;
  maxInFlightBytes?: number;
}

export function heapCapMiB(pipelines: readonly InFlightLimits[]): number {
  let bytes = HEAP_BASE_MIB * 2 ** 20;
  for (const l of pipelines) {
    bytes += (l.maxInFlightEvents ?? DEFAULT_MAX_IN_FLIGHT_EVENTS) * HEAP_PER_IN_FLIGHT_EVENT_BYTES;
    bytes += l.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
  }
  return Math.ceil(bytes / 2 ** 20);
}

/** A limit as written, `${VAR:-default}` resolved from the environment; undefined when it is not a number. */
function limitValue(v: unknown, env: NodeJS.ProcessEnv): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const text = v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, dflt?: string) => env[name] ?? dflt ?? '');
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : undefined;
}

/**
 * The heap cap for the pipelines at these paths; undefined when they cannot be read (then
 * sluice starts without a cap and reports the real error itself).
 */
export function heapCapForPaths(paths: readonly string[], env: NodeJS.ProcessEnv = process.env): number | undefined {
  try {
    const limits = pipelineFiles([...paths]).map((file) => {
      const doc = parse(readFileSync(file, 'utf8')) as { limits?: Record<string, unknown> } | undefined;
      const l = doc?.limits ?? {};
      return { maxInFlightEvents: limitValue(l.maxInFlightEvents, env), maxInFlightBytes: limitValue(l.maxInFlightBytes, env) };
    });
    return limits.length ? heapCapMiB(limits) : undefined;
  } catch {
    return undefined;
  }
}
