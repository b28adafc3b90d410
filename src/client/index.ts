// The client SDK's public surface; modules not listed here are internal.
export { DeliveryClient } from './client.js';
export type { ClientOptions, Message } from './options.js';
export type { Ack } from './outbox.js';
export type { ClientStats } from './stats.js';
export type { ClientEvent, ClientEventType, DisconnectReason } from './events.js';
export { SendError, SendAbandonedError, CaughtUpTimeoutError, ClientClosedError } from './errors.js';
export { ReorderBuffer, type OfferResult, type ReorderBufferOptions, type Sequenced } from './reorder-buffer.js';
export type { BackoffOptions } from './backoff.js';
export type { Timers, TimerHandle } from './timers.js';
export type { WebSocketLike, WebSocketConstructor } from './socket.js';
