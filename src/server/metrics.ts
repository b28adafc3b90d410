import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one worker. */
export function createMetrics(slot: number) {
  const registry = new Registry();
  registry.setDefaultLabels({ worker: String(slot) });
  const m = {
    registry,
    framesReceived: new Counter({ name: 'dl_frames_received_total', help: 'Client frames received, by type.', labelNames: ['type'] as const, registers: [registry] }),
    errorsSent: new Counter({ name: 'dl_errors_sent_total', help: 'Error frames sent, by code.', labelNames: ['code'] as const, registers: [registry] }),
    committed: new Counter({ name: 'dl_messages_committed_total', help: 'Messages committed as new rows.', registers: [registry] }),
    duplicates: new Counter({ name: 'dl_sends_duplicate_total', help: 'Sends whose id was already committed (retries absorbed).', registers: [registry] }),
    published: new Counter({ name: 'dl_publishes_total', help: 'Messages published to Redis.', registers: [registry] }),
    busReceived: new Counter({ name: 'dl_bus_messages_received_total', help: 'Messages received from other workers through Redis.', registers: [registry] }),
    busRejected: new Counter({ name: 'dl_bus_rejected_total', help: 'Messages received on a room channel and dropped: bad_mac (unsigned, or the MAC does not verify), bad_schema (not a valid envelope of a msg frame of the room).', labelNames: ['reason'] as const, registers: [registry] }),
    connections: new Gauge({ name: 'dl_connections', help: 'Open WebSocket connections.', registers: [registry] }),
    refusedUpgrades: new Counter({ name: 'dl_upgrades_refused_total', help: 'WebSocket upgrades turned away, by HTTP status: 401 (no valid token or user), 403 (origin not allowed), 429 (too many connections of the user).', labelNames: ['status'] as const, registers: [registry] }),
    batchSize: new Histogram({ name: 'dl_commit_batch_size', help: "Sends per commit this worker made: its own group commit (--writer worker), or its request to the primary, the one writer (--writer primary).", buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers: [registry] }),
    commitSeconds: new Histogram({ name: 'dl_commit_duration_seconds', help: 'Duration of those commits, from the start of the batch (with the primary as writer: its request sent) to its outcome.', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5], registers: [registry] }),
  };
  return m;
}

/** The metrics object of a worker. */
export type Metrics = ReturnType<typeof createMetrics>;
