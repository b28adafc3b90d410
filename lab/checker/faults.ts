import type { HistoryEvent } from '../history/events.js';
import { eventsOf } from './events-of.js';

/** When one fault was active: from its start to its heal (`healedAt` null: active till the end). */
export interface FaultWindow {
  fault: string;
  kind: string;
  target: string;
  at: number;
  healedAt: number | null;
}

const cache = new WeakMap<readonly HistoryEvent[], { length: number; windows: FaultWindow[] }>();

/** The fault windows of a history, in start order (a heal closes the earliest open start of its fault). */
export function faultWindows(history: readonly HistoryEvent[]): FaultWindow[] {
  const hit = cache.get(history);
  if (hit !== undefined && hit.length === history.length) return hit.windows;
  const windows: FaultWindow[] = [];
  const open = new Map<string, FaultWindow[]>();
  for (const e of eventsOf(history, 'fault-start', 'fault-heal')) {
    if (e.type === 'fault-start') {
      const w: FaultWindow = { fault: e.fault, kind: e.kind, target: e.target, at: e.t, healedAt: null };
      windows.push(w);
      const list = open.get(e.fault);
      if (list === undefined) open.set(e.fault, [w]);
      else list.push(w);
    } else if (e.type === 'fault-heal') {
      const w = open.get(e.fault)?.shift();
      if (w !== undefined) w.healedAt = e.t;
    }
  }
  cache.set(history, { length: history.length, windows });
  return windows;
}

/** A fault as a report names it: `kind target`. */
export function faultLabel(w: Pick<FaultWindow, 'kind' | 'target'>): string {
  return `${w.kind} ${w.target}`;
}

/** The faults active at time `t` (started at or before `t`, not healed before `t`). */
export function activeFaults(history: readonly HistoryEvent[], t: number): string[] {
  const out: string[] = [];
  for (const w of faultWindows(history)) {
    if (w.at <= t && (w.healedAt === null || t <= w.healedAt)) out.push(faultLabel(w));
  }
  return out;
}

/** Every fault that started during the run, labelled once each. */
export function faultsOfRun(history: readonly HistoryEvent[]): string[] {
  return [...new Set(faultWindows(history).map(faultLabel))];
}

/** The time of the last event, the run's end as the history sees it (0 when empty). */
export function endOf(history: readonly HistoryEvent[]): number {
  let end = 0;
  for (const e of history) if (e.t > end) end = e.t;
  return end;
}
