import type { FaultKind } from './fault.js';
import { clientDisconnect } from './client-disconnect.js';
import { clientOffline } from './client-offline.js';
import { idReuse } from './id-reuse.js';
import { lateRetry } from './late-retry.js';
import { crashPoint } from './crash-point.js';
import { duplicatePublish } from './duplicate-publish.js';
import { reconnectStorm } from './reconnect-storm.js';
import { redisLatency } from './redis-latency.js';
import { redisPartition } from './redis-partition.js';
import { redisRestart } from './redis-restart.js';
import { redisUnsubscribe } from './redis-unsubscribe.js';
import { reorder } from './reorder.js';
import { retryBeforeAck } from './retry-before-ack.js';
import { workerKill } from './worker-kill.js';
import { workerPause } from './worker-pause.js';
import { workerStop } from './worker-stop.js';

/** Every fault kind, by the name scenarios use. */
export const FAULTS: Record<string, FaultKind> = {
  'worker-kill': workerKill,
  'worker-stop': workerStop,
  'worker-pause': workerPause,
  'redis-partition': redisPartition,
  'redis-latency': redisLatency,
  'redis-restart': redisRestart,
  'duplicate-publish': duplicatePublish,
  'reorder': reorder,
  'crash-point': crashPoint,
  'redis-unsubscribe': redisUnsubscribe,
  'client-disconnect': clientDisconnect,
  'reconnect-storm': reconnectStorm,
  'retry-before-ack': retryBeforeAck,
  'client-offline': clientOffline,
  'late-retry': lateRetry,
  'id-reuse': idReuse,
};

export type { FaultKind, FaultContext, ResolvedTarget, Heal } from './fault.js';
