/**
 * Prometheus metrics: process defaults, HTTP requests, the access gate's batches and refusals,
 * the ledger's appends, publications and failures, and the exchange's messages.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { AccessGateMetrics } from '../registries/index.ts'

export interface Metrics {
  readonly registry: Registry
  readonly http: Histogram<'method' | 'route' | 'status'>
  readonly gate: AccessGateMetrics
  readonly ledger: {
    readonly appended: Counter
    readonly published: Gauge
    readonly failures: Counter<'stage'>
  }
  /** Exchange messages by gateway side and outcome (`ok`, `provider-error`, an X-Road type). */
  readonly exchange: Histogram<'side' | 'outcome'>
  /** Requests turned away at admission, by reason (`address`, `identity`, `busy`). */
  readonly rejected: Counter<'reason'>
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'estate_' })
  const http = new Histogram({
    name: 'estate_http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const reads = new Counter({
    name: 'estate_personal_reads_total',
    help: 'Personal-data reads through the access gate',
    registers: [registry],
  })
  const records = new Counter({
    name: 'estate_access_records_total',
    help: 'Access records written',
    registers: [registry],
  })
  const batches = new Histogram({
    name: 'estate_access_gate_batch_size',
    help: 'Reads committed together by the access gate',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  })
  const refused = new Counter({
    name: 'estate_personal_reads_refused_total',
    help: 'Personal-data reads refused by the access gate (backlog = fail closed)',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  const appended = new Counter({
    name: 'estate_ledger_entries_appended_total',
    help: 'Entries appended to the integrity ledger',
    registers: [registry],
  })
  const published = new Gauge({
    name: 'estate_ledger_published_size',
    help: 'Tree size of the newest checkpoint cosigned by every witness',
    registers: [registry],
  })
  const failures = new Counter({
    name: 'estate_ledger_failures_total',
    help: 'Ledger appends, drains or publications that failed',
    labelNames: ['stage'] as const,
    registers: [registry],
  })
  const exchange = new Histogram({
    name: 'estate_exchange_message_duration_seconds',
    help: "Messages through this node's gateway by side and outcome",
    labelNames: ['side', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  })
  const rejected = new Counter({
    name: 'estate_admission_rejected_total',
    help: 'Requests turned away at admission: an address or identity over its rate, or the node busy',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  return {
    registry,
    http,
    exchange,
    rejected,
    ledger: { appended, published, failures },
    gate: {
      onBatch(size, written) {
        reads.inc(size)
        records.inc(written)
        batches.observe(size)
      },
      onRefused(reason) {
        refused.inc({ reason })
      },
    },
  }
}
