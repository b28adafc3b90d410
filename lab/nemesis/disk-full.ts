import { rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { defineFault } from './fault.js';

/**
 * For forMs, every write and sync of the core's database files fails with disk full (ENOSPC) or an
 * I/O error (EIO), through the interposer the core runs under: commits fail, nothing of them may be
 * acked, and sends are retried with the same id until the disk works again.
 */
export const diskFull = defineFault({
  doc: 'Every write and fsync of the database fails with ENOSPC (disk full) or EIO for forMs; nothing may be acked that was not committed.',
  targets: 'core',
  needsSqlite: true,
  params: z.object({ error: z.enum(['ENOSPC', 'EIO']).default('ENOSPC') }).strict(),
  start: async (ctx, _target, p) => {
    writeFileSync(ctx.diskFaultFile, p.error);
    return async () => { rmSync(ctx.diskFaultFile, { force: true }); };
  },
});
