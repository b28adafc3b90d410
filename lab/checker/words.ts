import type { Example } from './types.js';

/** Milliseconds as the reports print them: whole numbers as they are, fractions with one decimal. */
export function ms(t: number): string {
  return `${Number.isInteger(t) ? t : t.toFixed(1)} ms`;
}

/** A message body quoted for a sentence, cut to `max` characters. */
export function quote(body: string, max = 40): string {
  return JSON.stringify(body.length > max ? `${body.slice(0, max)}…` : body);
}

/** The list of active faults as the end of a sentence. */
export function faultsText(faults: readonly string[]): string {
  return faults.length === 0 ? 'none' : faults.join(', ');
}

/** Sets `worker` on an example only when it is known. */
export function withWorker<T extends object>(o: T, worker: number | null | undefined): T & { worker?: number } {
  return worker === null || worker === undefined ? o : { ...o, worker };
}

/** An example about one message as one client saw it: the sentence ends with the faults active then. */
export function clientExample(
  e: { id: string; room: string; seq: number; client: string; worker: number | null },
  sentence: string,
  faults: string[],
): Example {
  return withWorker({ text: `${sentence}; active faults then: ${faultsText(faults)}`, id: e.id, room: e.room, seq: e.seq, client: e.client, faults }, e.worker);
}
