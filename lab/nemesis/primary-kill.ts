import { z } from 'zod';
import { defineFault } from './fault.js';
import { takeNodeDown } from './node-down.js';

/**
 * SIGKILL of the primary, the one writer: its workers lose their channel to it and exit, their
 * clients lose their connections; after forMs a supervisor (as systemd or a container runtime would)
 * starts the node again, and the clients reconnect and retry what was not acked.
 */
export const primaryKill = defineFault({
  doc: 'SIGKILL to the primary (the one writer); its workers exit with it, and a supervisor starts the node again after forMs.',
  targets: 'core',
  params: z.object({}).strict(),
  start: (ctx) => takeNodeDown(ctx, () => ctx.core.killPrimary()),
});
