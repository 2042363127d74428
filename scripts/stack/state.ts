/**
 * Persistent facts about the local stack (.stack/state.json): the ports chosen at first
 * start (kept stable so KAFKA_BROKERS / ES_URL do not change between restarts), the Kafka
 * cluster id the storage was formatted with, and the number of brokers.
 */
import fs from 'node:fs';
import net from 'node:net';
import { paths, type EsFlavor } from './paths.js';
import type { KafkaVersion } from './kafka-versions.js';

export interface KafkaNodePorts {
  port: number;
  controllerPort: number;
}

export interface StackState {
  version: 1;
  kafka?: {
    brokers: number;
    clusterId: string;
    nodes: Record<string, KafkaNodePorts>;
    /** The Kafka major the storage was formatted with; absent in stacks made before 4.x (3.9). */
    version?: KafkaVersion;
  };
  es?: {
    httpPort: number;
    transportPort: number;
    /** The engine last started (all use the same ports, one at a time). */
    flavor?: EsFlavor;
  };
}

export function readState(): StackState {
  try {
    return JSON.parse(fs.readFileSync(paths.stateFile, 'utf8')) as StackState;
  } catch {
    return { version: 1 };
  }
}

export function writeState(state: StackState): void {
  fs.mkdirSync(paths.root, { recursive: true });
  const tmp = `${paths.stateFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(tmp, paths.stateFile);
}

/** True when nothing accepts a bind on 127.0.0.1:port right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Picks `count` distinct free loopback ports (asks the kernel for ephemeral ones). */
export async function pickFreePorts(count: number, avoid: Iterable<number> = []): Promise<number[]> {
  const taken = new Set(avoid);
  const result: number[] = [];
  while (result.length < count) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
        const address = server.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port > 0 && !taken.has(port)) {
      taken.add(port);
      result.push(port);
    }
  }
  return result;
}

/** Writes .stack/env, the file other tools (and humans: `set -a; . .stack/env`) read. */
export function writeEnvFile(kafkaBrokers: string[], esUrl: string): void {
  fs.mkdirSync(paths.root, { recursive: true });
  fs.writeFileSync(paths.envFile, `KAFKA_BROKERS=${kafkaBrokers.join(',')}\nES_URL=${esUrl}\n`);
}

export function readEnvFile(): { KAFKA_BROKERS?: string; ES_URL?: string } {
  const out: Record<string, string> = {};
  try {
    for (const line of fs.readFileSync(paths.envFile, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) out[m[1]!] = m[2]!;
    }
  } catch {
    /* no env file yet */
  }
  return out;
}
