import { faultLabel, faultWindows, type InvariantResult } from '../checker/index.js';
import { endOf } from '../checker/faults.js';
import { recoveryPoints } from '../checker/stats.js';
import type { HistoryEvent } from '../history/events.js';
import type { CauseCount, ReportExample, ReportInvariant } from './types.js';

/**
 * How far around a message's life a fault still counts as its cause: about a reconnect, so a kill
 * that ended just before a send was retried, or that struck just after an ack, is still named.
 */
export const CAUSE_WINDOW_MS = 500;

/** The cause of examples that no fault came near. */
export const NO_CAUSE = 'none';

/** A message's life as its sender's application saw it: from `send()` to its settling (or the end of the run). */
interface Span { from: number; to: number }

/** The span of every message id: first invoke (or first attempt) to the first ack, refusal or unknown outcome. */
function spansOf(history: readonly HistoryEvent[]): Map<string, Span> {
  const end = endOf(history);
  const spans = new Map<string, Span>();
  const settled = new Set<string>();
  for (const e of history) {
    if (e.type === 'invoke' || e.type === 'send') {
      if (!spans.has(e.id)) spans.set(e.id, { from: e.t, to: end });
    } else if (e.type === 'ack' || e.type === 'send-fail' || e.type === 'send-info') {
      const s = spans.get(e.id);
      if (s !== undefined && !settled.has(e.id)) {
        s.to = e.t;
        settled.add(e.id);
      }
    }
  }
  return spans;
}

/**
 * Gives every counterexample a cause: the faults active within CAUSE_WINDOW_MS of its message's life
 * (a crash point from when it fired; a power loss for every message sent before it), plus those its checker named at its instant, or `none`; and
 * counts the examples per cause.
 */
export function attributeCauses(results: readonly InvariantResult[], history: readonly HistoryEvent[]): ReportInvariant[] {
  if (results.every((r) => r.examples.length === 0)) return results.map((r) => ({ ...r }));
  const spans = spansOf(history);
  const end = endOf(history);
  // A crash point does nothing until it fires: it counts from its firing (and not at all if it never fired).
  const firedAt = new Map(recoveryPoints(history).filter((r) => r.from === 'fired').map((r) => [r.w, r.at]));
  const windows = faultWindows(history).flatMap((w) => {
    // A power loss reaches back: it takes whatever was written before it and not yet synced.
    if (w.kind === 'power-loss') return [{ w, from: -Infinity }];
    if (w.kind !== 'crash-point') return [{ w, from: w.at }];
    const at = firedAt.get(w);
    return at === undefined ? [] : [{ w, from: at }];
  });
  const causeOf = (ex: ReportExample): string => {
    const span = ex.id === undefined ? undefined : spans.get(ex.id);
    const labels: string[] = [];
    if (span !== undefined) {
      for (const { w, from } of windows) {
        if (from <= span.to + CAUSE_WINDOW_MS && (w.healedAt ?? end) >= span.from - CAUSE_WINDOW_MS) labels.push(faultLabel(w));
      }
    }
    labels.push(...ex.faults);
    const unique = [...new Set(labels)];
    return unique.length === 0 ? NO_CAUSE : unique.join(' + ');
  };
  return results.map((r) => {
    if (r.examples.length === 0) return { ...r };
    const examples = r.examples.map((ex) => ({ ...ex, cause: causeOf(ex) }));
    return { ...r, examples, causes: countCauses(examples) };
  });
}

/** Examples per cause, most frequent first (ties in order of first appearance). */
export function countCauses(examples: readonly ReportExample[]): CauseCount[] {
  const counts = new Map<string, number>();
  for (const ex of examples) {
    const c = ex.cause ?? causeFromFaults(ex);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return [...counts].map(([cause, count]) => ({ cause, count })).sort((a, b) => b.count - a.count);
}

/** The cause of an example that was never attributed: the faults its checker named, or none. */
export function causeFromFaults(ex: Pick<ReportExample, 'faults'>): string {
  return ex.faults.length === 0 ? NO_CAUSE : [...new Set(ex.faults)].join(' + ');
}

/** An invariant's examples grouped by cause, in the order of its cause counts. */
export function groupByCause(r: ReportInvariant): { cause: string; examples: ReportExample[] }[] {
  const groups = new Map<string, ReportExample[]>();
  for (const c of r.causes ?? countCauses(r.examples)) groups.set(c.cause, []);
  for (const ex of r.examples) {
    const c = ex.cause ?? causeFromFaults(ex);
    let g = groups.get(c);
    if (g === undefined) groups.set(c, (g = []));
    g.push(ex);
  }
  return [...groups].map(([cause, examples]) => ({ cause, examples }));
}
