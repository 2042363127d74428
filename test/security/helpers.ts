/** Helpers of the security tests: the real CLI run asynchronously, pipeline files, setup clients. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { expect } from 'vitest';
import { ROOT, SLUICE } from '../helpers/sluice.js';
import { waitFor } from '../helpers/services.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together. */
  output: string;
  ms: number;
}

/** Runs `bin/sluice` to completion (killed and failed after `timeoutMs`: nothing may hang). */
export function runCli(args: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number; input?: string | Buffer } = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
    const child = spawn(process.execPath, [SLUICE, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 60_000} ms; output so far:\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // 'exit' may come before the pipes drain.
      setImmediate(() => resolve({ code, signal, stdout, stderr, output: stdout + stderr, ms: Date.now() - started }));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** A stack trace frame (`    at fn (file:1:2)`), in plain or JSON-escaped output. */
export const STACK_FRAME = /(^|\n|\\n)\s+at .+:\d+:\d+\)?/;

export function expectNoStackTrace(output: string): void {
  expect(output, output).not.toMatch(STACK_FRAME);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
}

export function writePipeline(dir: string, name: string, pipeline: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(pipeline, null, 2));
  return file;
}

export function setupKafka(broker: string) {
  return new kafkajs.Kafka({ clientId: 'sluice-security-test', brokers: [broker], logLevel: kafkajs.logLevel.NOTHING });
}

/** Creates `topic` and produces `values` to it (through a set-up listener). */
export async function produce(broker: string, topic: string, values: string[], partitions = 1): Promise<void> {
  const kafka = setupKafka(broker);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
    // Under load a new topic's metadata may lag (UNKNOWN_TOPIC_OR_PARTITION): wait for leaders.
    await waitFor(
      `topic ${topic} to have leaders`,
      async () => {
        const md = await admin.fetchTopicMetadata({ topics: [topic] });
        const parts = md.topics[0]?.partitions ?? [];
        return parts.length === partitions && parts.every((p) => p.leader >= 0);
      },
      60_000,
      200,
    );
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 500) await producer.send({ topic, acks: -1, messages: values.slice(i, i + 500).map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

/** Number of records in a topic (0 when it does not exist). */
export async function topicSize(broker: string, topic: string): Promise<number> {
  const admin = setupKafka(broker).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}
