/**
 * The Elastic client for bulk requests, loaded only by the output's start (client.ts,
 * createClient): importing @elastic/elasticsearch costs ~0.2 CPU s, a fifth of a process's
 * start-up, which `sluice process`, `test` and `validate` never need.
 */
import { Client, Transport, type ClientOptions } from '@elastic/elasticsearch';

/** A Transport without the product check (see the file comment), with the 8.x media types. */
class AnyProductTransport extends Transport {
  constructor(opts: ConstructorParameters<typeof Transport>[0]) {
    super({ ...opts, productCheck: undefined });
  }
}

/** The same, sending the classic media types (Elasticsearch 7.x, OpenSearch). */
class ClassicMediaTypeTransport extends Transport {
  constructor(opts: ConstructorParameters<typeof Transport>[0]) {
    super({
      ...opts,
      productCheck: undefined,
      vendoredHeaders: { jsonContentType: 'application/json', ndjsonContentType: 'application/x-ndjson', accept: 'application/json, text/plain' },
    });
  }
}

export function newBulkClient(options: ClientOptions, classic: boolean): Client {
  return new Client({
    ...options,
    // 'remove' drops the request headers (credentials) and connection from the metadata of an
    // error. The default, 'replace', deep-copies that metadata key by key to redact it, and
    // with a Buffer body (ours: output.ts) that meant every byte of a multi-megabyte bulk body
    // as an object property, per failed request: with Elasticsearch down, seconds of CPU and
    // hundreds of MiB per retry round (test/faults/elasticsearch.test.ts caught it).
    redaction: { type: 'remove' },
    Transport: classic ? ClassicMediaTypeTransport : AnyProductTransport,
  });
}
