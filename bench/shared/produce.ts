/**
 * Fills a topic for the benchmarks: `records` values taken from `lines` in turn (repeated as
 * needed), spread round-robin over `partitions` partitions, sent in gzip'd batches of 4,000
 * records per round (the way a busy log shipper sends them).
 */
import kafkajs, { type Kafka } from 'kafkajs';

export async function produceLines(kafka: Kafka, topic: string, lines: readonly string[], records: number, partitions: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let start = 0; start < records; start += 4000) {
      const sends = [];
      for (let p = 0; p < partitions; p++) {
        const messages = [];
        for (let i = start + p; i < Math.min(records, start + 4000); i += partitions) messages.push({ partition: p, value: lines[i % lines.length] });
        if (messages.length) sends.push(producer.send({ topic, compression: kafkajs.CompressionTypes.GZIP, messages }));
      }
      await Promise.all(sends);
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Whether `sluice run` on this node binary applies its default heap cap itself (bin/sluice
 * re-executes node with it on 22.15+); otherwise a benchmark passes the same value itself, so
 * every run is measured as shipped.
 */
export function capsItself(node: string): boolean {
  return node !== process.execPath || typeof (process as { execve?: unknown }).execve === 'function';
}
