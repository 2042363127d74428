/**
 * A tiny authoritative DNS server on loopback (UDP, dns-packet) for the dns filter's tests:
 * fixed A/AAAA/PTR records, NXDOMAIN for other names, and no answer at all for names that
 * start with `slow.` (the resolver times out). It records every question it gets.
 */
import { createSocket } from 'node:dgram';
import * as packet from 'dns-packet';

export interface DnsZone {
  A?: Record<string, string>;
  AAAA?: Record<string, string>;
  PTR?: Record<string, string>;
}

export interface TestDnsServer {
  port: number;
  /** `TYPE name` of every question received, in order. */
  queries: string[];
  close(): Promise<void>;
}

export async function startDnsServer(zone: DnsZone): Promise<TestDnsServer> {
  const socket = createSocket('udp4');
  const queries: string[] = [];
  const lower = (m: Record<string, string> = {}) => new Map(Object.entries(m).map(([k, v]) => [k.toLowerCase(), v]));
  const records = { A: lower(zone.A), AAAA: lower(zone.AAAA), PTR: lower(zone.PTR) };
  socket.on('message', (msg, rinfo) => {
    let q: packet.Packet;
    try {
      q = packet.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    queries.push(`${question.type} ${question.name}`);
    if (question.name.toLowerCase().startsWith('slow.')) return;
    const name = question.name.toLowerCase();
    const answers: packet.Answer[] = [];
    for (const type of ['A', 'AAAA', 'PTR'] as const) {
      const data = records[type].get(name);
      if (question.type === type && data) answers.push({ type, name: question.name, ttl: 60, data } as packet.Answer);
    }
    const exists = records.A.has(name) || records.AAAA.has(name) || records.PTR.has(name);
    const reply = packet.encode({
      id: q.id,
      type: 'response',
      // rcode 3 is NXDOMAIN; a name that exists without records of the asked type answers empty (NODATA)
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (exists ? 0 : 3),
      questions: q.questions,
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, queries, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}
