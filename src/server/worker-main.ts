import { processChannel } from './worker-channel.js';
import { runWorker } from './worker.js';
import { WorkerOptions } from './worker-options.js';

// A forked cluster worker: options from the environment the primary set, the primary over IPC.
const running = runWorker(WorkerOptions.parse(process.env), processChannel(), { onStopped: () => process.exit(0) });
running.catch((err: unknown) => {
  process.stderr.write(`worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => void running.then((w) => w.stop('SIGTERM')));
process.on('SIGINT', () => undefined); // the primary decides; Ctrl-C reaches the whole group
