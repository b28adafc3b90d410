import { Bench, type Task } from 'tinybench';

/** One micro-benchmark figure. */
export interface MicroResult {
  /** What was measured. */
  name: string;
  /** Calls of the measured function per second (tinybench mean throughput). */
  opsPerSec: number;
  /** Mean time per call in microseconds. */
  perOpUs: number;
  /** Items (frames, messages, rows, events) handled per call. */
  itemsPerOp: number;
  /** opsPerSec × itemsPerOp. */
  itemsPerSec: number;
  /** What an item is. */
  unit: string;
  /** Relative margin of error of the mean, in percent. */
  rmePercent: number;
}

/** A task to measure: its function and how many items one call handles. */
export interface MicroTask {
  name: string;
  fn: () => unknown;
  itemsPerOp: number;
  unit: string;
}

/** Runs tasks with tinybench for `timeMs` each and reads their throughput. */
export async function runMicro(tasks: readonly MicroTask[], o: { timeMs: number; iterations?: number; warmup?: boolean }): Promise<MicroResult[]> {
  const bench = new Bench({ time: o.timeMs, iterations: o.iterations ?? 16, warmup: o.warmup ?? true, warmupTime: Math.min(250, o.timeMs / 4), throws: true });
  for (const t of tasks) bench.add(t.name, t.fn as () => void);
  await bench.run();
  return bench.tasks.map((task: Task, i) => {
    const t = tasks[i]!;
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`micro-benchmark "${t.name}" ended ${r.state}`);
    const perOpMs = r.latency.mean;
    const opsPerSec = perOpMs > 0 ? 1000 / perOpMs : 0;
    return {
      name: t.name,
      opsPerSec: Math.round(opsPerSec),
      perOpUs: Math.round(perOpMs * 1000 * 1000) / 1000,
      itemsPerOp: t.itemsPerOp,
      itemsPerSec: Math.round(opsPerSec * t.itemsPerOp),
      unit: t.unit,
      rmePercent: Math.round(r.latency.rme * 100) / 100,
    };
  });
}
