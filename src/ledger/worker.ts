/**
 * The ledger's part for worker threads: the outbox's SQL for a thread that holds its own
 * database handle (the gateway's message-log writer). It imports no server modules, so the
 * thread's heap stays a few megabytes and its pauses short (the index would load the routes,
 * Fastify and the platform into every writer thread: measured on the exchange bench, a sixth fewer calls/s
 * and a quarter more p99 latency).
 */
export { OUTBOX_SQL } from './recorder.ts'
