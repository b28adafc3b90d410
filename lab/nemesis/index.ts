import type { FaultKind } from './fault.js';
import { clientDisconnect } from './client-disconnect.js';
import { clientOffline } from './client-offline.js';
import { idReuse } from './id-reuse.js';
import { roomNamedSend } from './room-named-send.js';
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
import { powerLoss } from './power-loss.js';
import { primaryKill } from './primary-kill.js';
import { diskFull } from './disk-full.js';
import { linkBandwidth } from './link-bandwidth.js';
import { linkSlicer } from './link-slicer.js';
import { linkLimitData } from './link-limit-data.js';
import { linkResetPeer } from './link-reset-peer.js';
import { linkSlowClose } from './link-slow-close.js';
import { linkDropBursts } from './link-drop-bursts.js';
import { clientLink } from './client-link.js';
import { redisShardFailover } from './redis-shard-failover.js';
import { redisSlotMigrate } from './redis-slot-migrate.js';
import { nodeKill } from './node-kill.js';
import { nodePause } from './node-pause.js';
import { nodePartition } from './node-partition.js';

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
  'room-named-send': roomNamedSend,
  'power-loss': powerLoss,
  'primary-kill': primaryKill,
  'disk-full': diskFull,
  'link-bandwidth': linkBandwidth,
  'link-slicer': linkSlicer,
  'link-limit-data': linkLimitData,
  'link-reset-peer': linkResetPeer,
  'link-slow-close': linkSlowClose,
  'link-drop-bursts': linkDropBursts,
  'client-link': clientLink,
  'redis-shard-failover': redisShardFailover,
  'redis-slot-migrate': redisSlotMigrate,
  'node-kill': nodeKill,
  'node-pause': nodePause,
  'node-partition': nodePartition,
};

export type { FaultKind, FaultContext, ResolvedTarget, Heal, LabNode } from './fault.js';
