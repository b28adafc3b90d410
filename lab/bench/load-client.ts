/**
 * A load-client process (forked by the bench): it receives LoadCommands over IPC, drives its
 * WebSocket connections and answers with LoadReports.
 */
import { exitWithParent } from './children.js';
import { LoadDriver } from './load-driver.js';
import { LoadCommand, type LoadReport } from './load-messages.js';

const driver = new LoadDriver();
const reply = (r: LoadReport) => process.send?.(r);
exitWithParent(() => driver.close());

process.on('message', (raw) => {
  const parsed = LoadCommand.safeParse(raw);
  if (!parsed.success) return reply({ type: 'failed', error: `bad command: ${parsed.error.message}` });
  const c = parsed.data;
  const fail = (e: unknown) => reply({ type: 'failed', error: e instanceof Error ? e.message : String(e) });
  switch (c.type) {
    case 'setup': return void driver.setup(c).then((connections) => reply({ type: 'ready', connections }), fail);
    case 'run': return void driver.run(c).then(reply, fail);
    case 'idle': return void driver.idle(c).then(reply, fail);
    case 'close':
      driver.close();
      return void setImmediate(() => process.exit(0));
  }
});
