/**
 * Java and Maven: checks that they are usable, resolves the Kafka and Elasticsearch
 * classpaths through Maven (artifacts cached in ~/.m2), and compiles the Elasticsearch
 * launcher once. Results are cached in .stack/build keyed by the inputs' hashes, so a warm
 * start runs neither Maven nor javac.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { paths, STACK_SRC } from './paths.js';

export class StackError extends Error {
  override name = 'StackError';
}

function javaBin(name: 'java' | 'javac' | 'jar'): string {
  const home = process.env.JAVA_HOME;
  if (home) {
    const candidate = path.join(home, 'bin', name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return name;
}

export const JAVA = javaBin('java');
export const JAVAC = javaBin('javac');
const JAR = javaBin('jar');
const MVN = process.env.SLUICE_MVN ?? 'mvn';

const INSTALL_HINT =
  'Install a JDK 17 or newer and Maven 3.6+ (Debian/Ubuntu: `apt-get install -y openjdk-17-jdk-headless maven`; ' +
  'macOS: `brew install openjdk@17 maven`), or set JAVA_HOME to a JDK 17+. ' +
  'Alternatively point the tests at running servers with KAFKA_BROKERS=host:port and ES_URL=http://host:port.';

const checked = new Set<string>();

/** The major version `java -version` reports, or 0 when it does not run. */
function javaMajor(java: string): number {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 0;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr + r.stdout);
  return m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
}

/** Where Debian/Ubuntu and the Temurin packages put JDKs. */
const JVM_DIR = process.env.SLUICE_JVM_DIR ?? '/usr/lib/jvm';

export interface Jdk {
  java: string;
  javac: string;
  major: number;
}

let newJdk: Jdk | null | undefined;

/**
 * A JDK 21 or newer, for servers that need one (Elasticsearch 9): SLUICE_JAVA21_HOME, else
 * the default java if it is new enough, else the newest JDK under /usr/lib/jvm. Throws an
 * actionable StackError when there is none.
 */
export function findJdk21(): Jdk {
  if (newJdk === undefined) {
    const homes = [process.env.SLUICE_JAVA21_HOME, process.env.JAVA_HOME].filter((h): h is string => !!h);
    try {
      homes.push(...fs.readdirSync(JVM_DIR).map((d) => path.join(JVM_DIR, d)).sort().reverse());
    } catch {
      /* no JVM directory */
    }
    newJdk = null;
    const candidates = [...homes.map((h) => ({ java: path.join(h, 'bin', 'java'), javac: path.join(h, 'bin', 'javac') })), { java: 'java', javac: 'javac' }];
    for (const c of candidates) {
      if (c.java !== 'java' && (!fs.existsSync(c.java) || !fs.existsSync(c.javac))) continue;
      const major = javaMajor(c.java);
      if (major >= 21 && (newJdk === null || major > newJdk.major)) newJdk = { ...c, major };
    }
  }
  if (!newJdk) {
    throw new StackError(
      `Elasticsearch 9 needs Java 21 or newer, and none was found (looked at SLUICE_JAVA21_HOME, JAVA_HOME, ${JVM_DIR}/* and java on the PATH). ` +
        'Install one (Debian/Ubuntu: `apt-get install -y openjdk-21-jdk-headless`, or a Temurin 21/25 JDK) or set SLUICE_JAVA21_HOME to its home.',
    );
  }
  return newJdk;
}

/** Throws an actionable error unless `java` is Java 17 or newer. */
export function checkJava(): void {
  if (checked.has('java')) return;
  const java = spawnSync(JAVA, ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    throw new StackError(`Java was not found (tried \`${JAVA}\`). The local stack runs Kafka and Elasticsearch on Java 17+. ${INSTALL_HINT}`);
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(java.stderr + java.stdout);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) {
    throw new StackError(`Java ${major || '(unknown version)'} found at \`${JAVA}\`, but Java 17 or newer is required. ${INSTALL_HINT}`);
  }
  checked.add('java');
}

/** javac is needed once, to compile the Elasticsearch launcher. */
function checkJavac(): void {
  if (checked.has('javac')) return;
  const javac = spawnSync(JAVAC, ['-version'], { encoding: 'utf8' });
  if (javac.error || javac.status !== 0) {
    throw new StackError(`\`javac\` was not found: a full JDK (not just a JRE) is needed to compile the Elasticsearch launcher. ${INSTALL_HINT}`);
  }
  checked.add('javac');
}

/** Maven is needed only while the classpaths are not resolved yet. */
function checkMaven(): void {
  if (checked.has('mvn')) return;
  const mvn = spawnSync(MVN, ['-v'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) {
    throw new StackError(`Maven (\`${MVN}\`) was not found; it downloads Kafka and Elasticsearch from Maven Central. ${INSTALL_HINT}`);
  }
  checked.add('mvn');
}

function sha256(...parts: (string | Buffer)[]): string {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** A pom under scripts/stack/<component>/. */
export type Component = 'kafka' | 'kafka4' | 'elasticsearch' | 'elasticsearch8' | 'elasticsearch9' | 'opensearch';

interface CachedClasspath {
  key: string;
  classpath: string[];
}

/**
 * The runtime classpath of scripts/stack/<component>/pom.xml, as absolute jar paths in
 * ~/.m2. Runs Maven only when the pom changed or a jar disappeared from the local repo.
 */
export async function resolveClasspath(component: Component, log: (msg: string) => void = () => {}): Promise<string[]> {
  const pom = path.join(STACK_SRC, component, 'pom.xml');
  const key = sha256(fs.readFileSync(pom));
  const cacheFile = path.join(paths.build, `${component}.classpath.json`);
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as CachedClasspath;
    if (cached.key === key && cached.classpath.length > 0 && cached.classpath.every((jar) => fs.existsSync(jar))) {
      return cached.classpath;
    }
  } catch {
    /* no cache yet */
  }
  checkJava();
  checkMaven();
  fs.mkdirSync(paths.build, { recursive: true });
  const outFile = path.join(paths.build, `${component}.classpath.txt`);
  log(`resolving ${component} from Maven Central (first time only; downloads go to ~/.m2)...`);
  const started = Date.now();
  const { code, output } = await run(
    MVN,
    [
      '-B', // batch mode: never prompt
      '-q', // only errors
      '-Dstyle.color=never',
      '-f', pom,
      'dependency:build-classpath',
      `-Dmdep.outputFile=${outFile}`,
      '-Dmdep.includeScope=runtime',
    ],
    path.dirname(pom),
  );
  if (code !== 0) {
    const errors = output.split('\n').filter((l) => /ERROR|FATAL|Could not|Failed/.test(l));
    throw new StackError(
      `Maven could not resolve the ${component} classpath (exit ${code}) for ${pom}:\n` +
        (errors.length ? errors.join('\n') : output.trim().split('\n').slice(-30).join('\n')) +
        '\nCheck that Maven Central is reachable (or that ~/.m2/settings.xml names a working mirror).',
    );
  }
  const classpath = fs.readFileSync(outFile, 'utf8').trim().split(path.delimiter).filter(Boolean);
  fs.writeFileSync(cacheFile, JSON.stringify({ key, classpath } satisfies CachedClasspath, null, 2));
  log(`resolved ${component}: ${classpath.length} jars in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return classpath;
}

/** Compiles `sources` into a fresh `outDir/classes` unless `key` says it is up to date. */
async function compileOnce(
  name: string,
  outDir: string,
  key: string,
  javacArgs: string[],
  sources: string[],
  log: (msg: string) => void,
  jdk: { javac: string; release: string } = { javac: JAVAC, release: '17' },
): Promise<string | undefined> {
  const classes = path.join(outDir, 'classes');
  const keyFile = path.join(outDir, 'key');
  if (fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === key) return undefined;
  checkJava();
  checkJavac();
  log(`compiling the ${name}...`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(classes, { recursive: true });
  const { code, output } = await run(jdk.javac, ['-d', classes, '--release', jdk.release, '-encoding', 'UTF-8', ...javacArgs, ...sources], outDir);
  if (code !== 0) throw new StackError(`javac failed for the ${name}:\n${output}`);
  return keyFile;
}

function javaSources(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Compiles a classpath launcher (scripts/stack/<component>/launcher/*.java: Elasticsearch 7 in
 * `elasticsearch`, OpenSearch in `opensearch`) into .stack/build/<component>-launcher once
 * (again only when the source or the classpath changes). Returns the classes directory.
 */
export async function compileEsLauncher(classpath: string[], log: (msg: string) => void = () => {}, component: 'elasticsearch' | 'opensearch' = 'elasticsearch'): Promise<string> {
  const sources = javaSources(path.join(STACK_SRC, component, 'launcher'));
  const key = sha256(...sources.map((s) => fs.readFileSync(s)), classpath.join(path.delimiter));
  const outDir = path.join(paths.build, component === 'elasticsearch' ? 'es-launcher' : `${component}-launcher`);
  const keyFile = await compileOnce(`${component === 'elasticsearch' ? 'Elasticsearch' : 'OpenSearch'} launcher`, outDir, key, ['-cp', classpath.join(path.delimiter)], sources, log);
  if (keyFile) fs.writeFileSync(keyFile, key);
  return path.join(outDir, 'classes');
}

/** Splits the Elasticsearch 8 classpath into the server's module path and the netty4 module's jars. */
export function splitEs8Classpath(classpath: string[]): { modulePath: string[]; netty4: string[] } {
  const isNetty4Module = (jar: string) =>
    /[\\/]transport-netty4-[^\\/]+\.jar$/.test(jar) || /[\\/]io[\\/]netty[\\/]/.test(jar);
  return { modulePath: classpath.filter((j) => !isNetty4Module(j)), netty4: classpath.filter(isNetty4Module) };
}

/**
 * Compiles the Elasticsearch 8/9 launcher (scripts/stack/elasticsearch8/launcher: one source
 * for both) and packs our root-info plugin (the shared handler in elasticsearch8/root-plugin
 * plus the plugin class of that major, in elasticsearch<major>/root-plugin) into a plugin
 * jar, both into .stack/build/es<major>-*, once. Elasticsearch 9 is compiled with a JDK 21+.
 */
export async function compileEs8(classpath: string[], log: (msg: string) => void = () => {}, major: '8' | '9' = '8'): Promise<{ launcherClasses: string; rootPluginJar: string }> {
  const { modulePath } = splitEs8Classpath(classpath);
  const mp = modulePath.join(path.delimiter);
  const shared = path.join(STACK_SRC, 'elasticsearch8');
  const base = path.join(STACK_SRC, `elasticsearch${major}`);
  const jdk = major === '9' ? { javac: findJdk21().javac, release: '21' } : undefined;
  const jdkKey = jdk ? `${jdk.javac}@${jdk.release}` : '';

  const launcherSources = javaSources(path.join(shared, 'launcher'));
  const launcherKey = sha256(...launcherSources.map((s) => fs.readFileSync(s)), mp, jdkKey);
  const launcherOut = path.join(paths.build, `es${major}-launcher`);
  const launcherKeyFile = await compileOnce(
    `Elasticsearch ${major} launcher`,
    launcherOut,
    launcherKey,
    ['--module-path', mp, '--add-modules', 'ALL-MODULE-PATH'],
    launcherSources,
    log,
    jdk,
  );
  if (launcherKeyFile) fs.writeFileSync(launcherKeyFile, launcherKey);

  const pluginSources = [path.join(shared, 'root-plugin', 'RootHandler.java'), path.join(base, 'root-plugin', 'RootInfoPlugin.java')];
  const esVersion = /<es\.version>([^<]+)<\/es\.version>/.exec(fs.readFileSync(path.join(base, 'pom.xml'), 'utf8'))?.[1];
  if (!esVersion) throw new StackError(`no <es.version> in ${path.join(base, 'pom.xml')}`);
  const pluginKey = sha256(...pluginSources.map((s) => fs.readFileSync(s)), mp, esVersion, jdkKey);
  const pluginOut = path.join(paths.build, `es${major}-root-plugin`);
  const rootPluginJar = path.join(pluginOut, 'sluice-root.jar');
  const pluginKeyFile = await compileOnce(`Elasticsearch ${major} root plugin`, pluginOut, pluginKey, ['-cp', mp], pluginSources, log, jdk);
  if (pluginKeyFile) {
    // Plugin bundles are found through this descriptor; the launcher copies it out of the jar.
    const classes = path.join(pluginOut, 'classes');
    const descriptorDir = path.join(classes, 'META-INF', 'es-plugins', 'sluice-root');
    fs.mkdirSync(descriptorDir, { recursive: true });
    fs.writeFileSync(
      path.join(descriptorDir, 'plugin-descriptor.properties'),
      [
        'description=GET / and HEAD / for the sluice local stack (the rest-root module is not on Maven Central)',
        `version=${esVersion}`,
        'name=sluice-root',
        'classname=dev.sluice.stack.es8.RootInfoPlugin',
        `java.version=${jdk?.release ?? '17'}`,
        `elasticsearch.version=${esVersion}`,
        '',
      ].join('\n'),
    );
    const { code, output } = await run(JAR, ['--create', '--file', rootPluginJar, '-C', classes, '.'], pluginOut);
    if (code !== 0) throw new StackError(`jar failed for the Elasticsearch ${major} root plugin:\n${output}`);
    fs.writeFileSync(pluginKeyFile, pluginKey);
  }
  return { launcherClasses: path.join(launcherOut, 'classes'), rootPluginJar };
}
