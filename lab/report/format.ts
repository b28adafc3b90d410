import type { Stats } from '../checker/index.js';
import type { RunReport } from './types.js';

/** ANSI styling that is a no-op when color is off. */
export interface Paint {
  ok(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/** The painter for a terminal with or without color. */
export function paint(color: boolean): Paint {
  const wrap = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { ok: wrap('32'), bad: wrap('31'), dim: wrap('2'), bold: wrap('1') };
}

/** Milliseconds for people: "840 ms", "3.2 ms", "12.4 s". */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (Math.abs(value) >= 100 || Number.isInteger(value)) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

/** The stats as short lines: counts, latency, then one line per recovered fault. */
export function statsLines(s: Stats): string[] {
  const counts =
    `sent ${s.sent}  acked ${s.acked}  db ${s.dbMessages}  deliveries ${s.deliveries}  ` +
    `dups dropped ${s.duplicatesDropped}  gaps filled ${s.gapsFilled}  retries ${s.retries}` +
    (s.lostBeforeRecovery === undefined ? '' : `  lost before recovery ${s.lostBeforeRecovery}`);
  const latency = `latency p50 ${formatMs(s.latencyMs.p50)}  p99 ${formatMs(s.latencyMs.p99)}  max ${formatMs(s.latencyMs.max)}`;
  const recovery = s.recoveryMs.map(
    (r) => `recovery after ${r.kind} ${r.target} (healed at ${formatMs(r.healedAt)}): ${formatMs(r.recoveryMs)}`,
  );
  return [counts, latency, ...recovery];
}

/** The command that runs the same scenario again. */
export function reproduceCommand(r: Pick<RunReport, 'scenario' | 'seed' | 'semantics' | 'writer'>): string {
  return `deliverylab run ${r.scenario} --seed ${r.seed} --semantics ${r.semantics}${r.writer ? ` --writer ${r.writer}` : ''}`;
}
