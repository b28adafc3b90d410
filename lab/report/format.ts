import type { Recovery, Stats } from '../checker/index.js';
import type { FiredFailpoint, RunReport } from './types.js';

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

/** The sender-side losses in words: "unsettled 3 (2 not in db)", or "unsettled 0". */
export function unsettledText(s: Pick<Stats, 'unsettled' | 'unsettledNotInDb'>): string {
  return `unsettled ${s.unsettled}${s.unsettled > 0 ? ` (${s.unsettledNotInDb} not in db)` : ''}`;
}

/** What a fault's recovery is measured from, in words: "fired at 1620 ms". */
export function recoveryFromText(r: Pick<Recovery, 'from' | 'fromAt'>): string {
  const what = r.from === 'fired' ? 'fired' : r.from === 'start' ? 'struck' : 'healed';
  return `${what} at ${formatMs(r.fromAt)}`;
}

/** The stats as short lines: counts (sender-side losses included), latency, then one line per measured recovery. */
export function statsLines(s: Stats): string[] {
  const counts =
    `sent ${s.sent}  acked ${s.acked}  refused ${s.refused}  ${unsettledText(s)}  db ${s.dbMessages}  deliveries ${s.deliveries}  ` +
    `dups dropped ${s.duplicatesDropped}  gaps filled ${s.gapsFilled}  retries ${s.retries}` +
    (s.lostBeforeRecovery === undefined ? '' : `  lost before recovery ${s.lostBeforeRecovery}`);
  const latency = `latency p50 ${formatMs(s.latencyMs.p50)}  p99 ${formatMs(s.latencyMs.p99)}  max ${formatMs(s.latencyMs.max)}`;
  const recovery = s.recoveryMs.map((r) => `recovery after ${r.kind} ${r.target} (${recoveryFromText(r)}): ${formatMs(r.recoveryMs)}`);
  return [counts, latency, ...recovery];
}

/** A fired failpoint in words. */
export function firedText(f: FiredFailpoint): string {
  return `failpoint ${f.failpoint} fired in worker ${f.worker} (pid ${f.pid}) on ${f.detail}`;
}

/** The run's faults and fired failpoints as one timeline, in time order. */
export function faultTimeline(report: Pick<RunReport, 'faults' | 'fired'>): { at: number; text: string }[] {
  return [
    ...report.faults.map((f) => ({ at: f.at, text: `fault ${f.kind} on ${f.target}, ${f.healedAt === null ? 'never healed' : `healed at ${formatMs(f.healedAt)}`}` })),
    ...(report.fired ?? []).map((f) => ({ at: f.at, text: firedText(f) })),
  ].sort((a, b) => a.at - b.at);
}

/** A word for a POSIX shell: as it is when it is safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command that runs the same scenario again: the file when it came from one, else the built-in name. */
export function reproduceCommand(r: Pick<RunReport, 'scenario' | 'scenarioFile' | 'seed' | 'semantics' | 'writer' | 'synchronous' | 'overrides'>): string {
  const extra = (r.overrides ?? []).map(shellWord).join(' ');
  return `npx deliverylab run ${shellWord(r.scenarioFile ?? r.scenario)} --seed ${r.seed} --semantics ${r.semantics}${r.writer ? ` --writer ${r.writer}` : ''}${r.synchronous ? ` --synchronous ${r.synchronous}` : ''}${extra ? ` ${extra}` : ''}`;
}
