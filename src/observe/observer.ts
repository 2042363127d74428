/**
 * What components report for metrics and readiness. The runtime hands an implementation to
 * the components through `ComponentContext.metrics`; without one (unit tests, `sluice
 * process`, `validate`) they use `noopMetrics`, so reporting never needs a check.
 *
 * Methods are plain notifications: cheap, synchronous, never throwing.
 */
export interface ComponentMetrics {
  // ---- start-up
  /**
   * A start-up wait for `dependency` (kafka, elasticsearch, dead-letter): `reason` says what is
   * missing (for /readyz); undefined when it became available.
   */
  waiting(dependency: string, reason: string | undefined): void;

  // ---- Kafka input
  /** The consumer connected, disconnected, started a rebalance or crashed (kafkajs restarts it). */
  kafkaState(state: 'connected' | 'disconnected' | 'rebalancing' | 'crashed', detail?: string): void;
  /** A group generation's assignment (topic → partitions); empty when the member got none. */
  kafkaAssigned(assignment: Record<string, number[]>): void;
  /** A non-empty batch was fetched: the partition's high watermark and the batch's first offset. */
  kafkaFetched(topic: string, partition: number, highWatermark: string, firstOffset: string): void;
  /** Offsets (the next offset to read) acknowledged by a commit. */
  kafkaCommitted(offsets: readonly { topic: string; partition: number; offset: string }[]): void;

  // ---- dead-letter producer
  /** One attempt to produce dead letters failed (it is retried). */
  deadLetterSendFailed(): void;

  // ---- Elasticsearch output
  /**
   * A bulk request finished: `ok` (every item settled or retryable per item), `item_errors`
   * (the response carried item failures) or `failed` (no usable response: connection error,
   * timeout, HTTP error).
   */
  bulkRequest(seconds: number, outcome: 'ok' | 'item_errors' | 'failed', error?: string): void;
  /** An Elasticsearch error: an item's error type (`mapper_parsing_exception`), or a request failure (`ConnectionError`, `http_503`). */
  elasticsearchError(type: string): void;
  /** Documents that will be sent again after a retryable failure. */
  retried(documents: number): void;
}

const nothing = () => {};

export const noopMetrics: ComponentMetrics = {
  waiting: nothing,
  kafkaState: nothing,
  kafkaAssigned: nothing,
  kafkaFetched: nothing,
  kafkaCommitted: nothing,
  deadLetterSendFailed: nothing,
  bulkRequest: nothing,
  elasticsearchError: nothing,
  retried: nothing,
};
