import { busTasks } from './bus-tasks.js';
import { checkerTask } from './checker-task.js';
import { commitTasks } from './commit-tasks.js';
import { frameTasks } from './frame-tasks.js';
import { runMicro, type MicroResult } from './micro-result.js';
import { reorderTasks } from './reorder-tasks.js';

/** Every micro-benchmark figure, and the checker's throughput on its own. */
export interface MicroSuiteResult {
  results: MicroResult[];
  checker: CheckerThroughput;
}

/** The checker's throughput over one history, warm, and on the first call of the process apart. */
export interface CheckerThroughput {
  /** Events in the synthetic history checked. */
  events: number;
  /** Events per second, the mean over the calls after the first (3, or 2 with `--quick`; each on a fresh copy of the history). */
  eventsPerSec: number;
  /** Events per second of the first call alone, which also compiles the checkers (once per process). */
  firstCallEventsPerSec: number;
}

/** Runs the tinybench micro-benchmarks: frames, reorder buffer, commit batching, checker. */
export async function runMicroSuite(o: { dir: string; quick: boolean; bodyBytes: number; checkerEvents: number }): Promise<MicroSuiteResult> {
  const cpuTimeMs = o.quick ? 200 : 1000;
  const results = await runMicro([...frameTasks(o.bodyBytes), ...busTasks(o.bodyBytes), ...reorderTasks()], { timeMs: cpuTimeMs });
  const commit = await commitTasks(o.dir, o.bodyBytes);
  try {
    results.push(...(await runMicro(commit.tasks, { timeMs: o.quick ? 300 : 1500, iterations: 8 })));
  } finally {
    await commit.close();
  }
  const checker = checkerTask(o.checkerEvents);
  // The first call compiles every checker, a cost once per process and not per event: it is timed apart,
  // and the throughput is that of the calls after it.
  const firstStart = performance.now();
  checker.fn();
  const firstMs = performance.now() - firstStart;
  const [c] = await runMicro([checker], { timeMs: 0, iterations: o.quick ? 2 : 3, warmup: false });
  results.push(c!);
  return { results, checker: { events: checker.events, eventsPerSec: c!.itemsPerSec, firstCallEventsPerSec: firstMs > 0 ? Math.round(checker.events / (firstMs / 1000)) : 0 } };
}
