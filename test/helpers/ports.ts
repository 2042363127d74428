import { createServer } from 'node:net';

/** A loopback port that was free a moment ago: nothing listens on it once this returns, so connections to it are refused. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
