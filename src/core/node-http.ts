/**
 * node:http, required rather than imported: an ES import of a built-in module evaluates every
 * export, and on Node 22+ node:http's include lazy getters that load Node's own fetch client
 * (undici): 37 ms of CPU at start-up on Node 24 against 3 ms for require (docs/performance.md).
 * Import node:http's types from 'node:http' as usual; its functions from here.
 */
import { createRequire } from 'node:module';

export const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
