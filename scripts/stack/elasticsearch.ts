/**
 * A real Elasticsearch or OpenSearch node run by one of our launchers from the Maven Central
 * jars: Elasticsearch 7.17 (elasticsearch/launcher), 8.19 (elasticsearch8/launcher, the
 * default), 9.x (elasticsearch9, on Java 21+) or OpenSearch 2.19 (opensearch/launcher). Data
 * lives in .stack/<es|es8|es9|opensearch>/data and survives restarts. All use the same ports;
 * only one runs at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { paths, roles, STACK_SRC, type EsFlavor } from './paths.js';
import { logTail, markerArg, runningPid, startDetached, stopProcess } from './procs.js';
import type { StackState } from './state.js';
import { compileEs8, compileEsLauncher, findJdk21, JAVA, resolveClasspath, splitEs8Classpath, StackError } from './toolchain.js';

export const ES7_LAUNCHER_MAIN = 'dev.sluice.stack.EsLauncher';
export const ES8_LAUNCHER_MAIN = 'dev.sluice.stack.es8.Es8Launcher';
export const OPENSEARCH_LAUNCHER_MAIN = 'dev.sluice.stack.opensearch.OpenSearchLauncher';
const ES_HEAP = process.env.SLUICE_STACK_ES_HEAP ?? '1g';

type EsState = NonNullable<StackState['es']>;

export function esUrl(es: EsState): string {
  return `http://127.0.0.1:${es.httpPort}`;
}

/** Validates extra node settings given as a map (keys like `thread_pool.write.queue_size`). */
function settingArgs(extra: Record<string, string>): string[] {
  return Object.entries(extra).map(([k, v]) => {
    if (!/^[a-zA-Z0-9_.\-]+$/.test(k)) throw new Error(`invalid Elasticsearch setting name: ${k}`);
    return `${k}=${v}`;
  });
}

/** Downloads (first time) and compiles what the given Elasticsearch needs. */
export async function prepareElasticsearch(flavor: EsFlavor, log?: (m: string) => void): Promise<void> {
  if (flavor === '7') await compileEsLauncher(await resolveClasspath('elasticsearch', log), log);
  else if (flavor === 'opensearch') await compileEsLauncher(await resolveClasspath('opensearch', log), log, 'opensearch');
  else await compileEs8(await resolveClasspath(flavor === '9' ? 'elasticsearch9' : 'elasticsearch8', log), log, flavor);
}

/** JVM flags shared by both launchers (those the distribution's jvm.options sets that matter here). */
function commonJvmArgs(flavor: EsFlavor): string[] {
  return [
    markerArg(roles.es),
    `-Xms${ES_HEAP}`,
    `-Xmx${ES_HEAP}`,
    '-XX:+UseG1GC',
    '-Xss1m',
    '-Djava.awt.headless=true',
    '-Dfile.encoding=UTF-8',
    '-Djna.nosys=true',
    `-Djava.io.tmpdir=${paths.esTmp(flavor)}`,
    '-Dlog4j2.formatMsgNoLookups=true',
    '-Dlog4j.shutdownHookEnabled=false',
    '-Dlog4j2.disable.jmx=true',
    '-Dio.netty.noUnsafe=true',
    '-Dio.netty.noKeySetOptimization=true',
    '-Dio.netty.recycler.maxCapacityPerThread=0',
    `-D${flavor === 'opensearch' ? 'opensearch' : 'es'}.path.home=${paths.esHome(flavor)}`,
  ];
}

/** Starts the node detached (no-op if one runs). Does not wait for health. */
export async function spawnElasticsearch(
  es: EsState,
  flavor: EsFlavor,
  extraSettings: Record<string, string> = {},
  log?: (m: string) => void,
): Promise<number> {
  const role = roles.es;
  const existing = runningPid(role);
  if (existing !== undefined) return existing;
  for (const dir of [paths.esData(flavor), paths.esLogs(flavor), paths.esTmp(flavor), path.join(paths.esHome(flavor), 'config')]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  fs.copyFileSync(path.join(STACK_SRC, 'elasticsearch', 'log4j2.properties'), path.join(paths.esHome(flavor), 'config', 'log4j2.properties'));
  const nodeSettings = [
    `path.home=${paths.esHome(flavor)}`,
    `path.data=${paths.esData(flavor)}`,
    `path.logs=${paths.esLogs(flavor)}`,
    `http.port=${es.httpPort}`,
    `transport.port=${es.transportPort}`,
    ...settingArgs(extraSettings),
  ];
  let args: string[];
  if (flavor === '7' || flavor === 'opensearch') {
    const component = flavor === '7' ? 'elasticsearch' : 'opensearch';
    const classpath = await resolveClasspath(component, log);
    const classes = await compileEsLauncher(classpath, log, component);
    const main = flavor === '7' ? ES7_LAUNCHER_MAIN : OPENSEARCH_LAUNCHER_MAIN;
    args = [...commonJvmArgs(flavor), '-cp', [classes, ...classpath].join(path.delimiter), main, ...nodeSettings];
  } else {
    const classpath = await resolveClasspath(flavor === '9' ? 'elasticsearch9' : 'elasticsearch8', log);
    const { launcherClasses, rootPluginJar } = await compileEs8(classpath, log, flavor);
    const { modulePath, netty4 } = splitEs8Classpath(classpath);
    args = [
      ...commonJvmArgs(flavor),
      // Like the distribution: the server and its libraries are named modules on the module path.
      '--module-path',
      modulePath.join(path.delimiter),
      '--add-modules',
      'ALL-MODULE-PATH',
      '-cp',
      launcherClasses,
      ES8_LAUNCHER_MAIN,
      '--module',
      `transport-netty4=${netty4.join(path.delimiter)}`,
      '--module',
      `sluice-root=${rootPluginJar}`,
      ...nodeSettings,
    ];
  }
  // Elasticsearch 9 needs Java 21+; the others run on the default JDK (17).
  return startDetached(role, flavor === '9' ? findJdk21().java : JAVA, args, paths.es(flavor));
}

export function stopEs(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') {
  return stopProcess(roles.es, { signal, graceMs: 30_000 });
}

export interface EsHealth {
  status: string;
  version?: string;
}

/** GET / and /_cluster/health; undefined when the node does not answer. */
export async function esHealth(url: string, waitForYellowSeconds = 0): Promise<EsHealth | undefined> {
  try {
    const timeout = AbortSignal.timeout(waitForYellowSeconds * 1000 + 5000);
    const root = (await (await fetch(`${url}/`, { signal: timeout })).json()) as { version?: { number?: string } };
    const q = waitForYellowSeconds > 0 ? `?wait_for_status=yellow&timeout=${waitForYellowSeconds}s` : '';
    const health = (await (await fetch(`${url}/_cluster/health${q}`, { signal: timeout })).json()) as { status?: string };
    return { status: health.status ?? 'unknown', version: root.version?.number };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for cluster health yellow or green; fails early with the log tail if the JVM exits. */
export async function waitForEs(es: EsState, timeoutMs = 180_000): Promise<EsHealth> {
  const url = esUrl(es);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (runningPid(roles.es) === undefined) {
      throw new StackError(`Elasticsearch exited during start-up. Last lines of ${paths.logFile(roles.es)}:\n${logTail(roles.es)}`);
    }
    const health = await esHealth(url, 5);
    if (health && (health.status === 'yellow' || health.status === 'green')) return health;
    if (Date.now() > deadline) {
      throw new StackError(`Elasticsearch at ${url} was not healthy within ${timeoutMs / 1000}s (last: ${health?.status ?? 'no answer'}). See ${paths.logFile(roles.es)}`);
    }
    await sleep(500);
  }
}
