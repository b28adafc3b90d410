import { pino } from 'pino';

/** The core's structured logger (JSON lines on stderr; level from DL_LOG_LEVEL). @default level 'info' */
export const logger = pino({ level: process.env.DL_LOG_LEVEL ?? 'info', base: undefined }, pino.destination(2));
