export { RedisBus, type RedisBusOptions, type BusStatus } from './redis-bus.js';
