import { ReorderBuffer } from '../../../src/client/index.js';
import type { MicroTask } from './micro-result.js';

const STREAM = 1000;
const WINDOW = 8;

/** A stream of seqs 1..n, shuffled within consecutive windows of `w` (deterministic). */
function shuffledInWindows(n: number, w: number): number[] {
  const out: number[] = [];
  for (let start = 1; start <= n; start += w) {
    const chunk = Array.from({ length: Math.min(w, n - start + 1) }, (_, i) => start + i);
    chunk.reverse();
    out.push(...chunk);
  }
  return out;
}

/** The client's ReorderBuffer: an in-order stream, a stream reordered within windows, and a stream with every message twice. */
export function reorderTasks(): MicroTask[] {
  const inOrder = Array.from({ length: STREAM }, (_, i) => ({ seq: i + 1 }));
  const reordered = shuffledInWindows(STREAM, WINDOW).map((seq) => ({ seq }));
  const doubled = inOrder.flatMap((m) => [m, m]);
  const feed = (items: { seq: number }[]) => () => {
    const b = new ReorderBuffer<{ seq: number }>();
    for (const m of items) b.offer(m);
    if (b.cursor !== STREAM) throw new Error('reorder buffer lost messages');
  };
  return [
    { name: `ReorderBuffer: ${STREAM} msgs in order`, fn: feed(inOrder), itemsPerOp: STREAM, unit: 'msgs' },
    { name: `ReorderBuffer: ${STREAM} msgs reversed within windows of ${WINDOW}`, fn: feed(reordered), itemsPerOp: STREAM, unit: 'msgs' },
    { name: `ReorderBuffer: ${STREAM} msgs each delivered twice`, fn: feed(doubled), itemsPerOp: 2 * STREAM, unit: 'msgs' },
  ];
}
