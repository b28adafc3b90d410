import { readFileSync } from 'node:fs';
import type { HistoryEvent } from './events.js';

/** A history file that is not one JSON event per line; names the file and the line. */
export class HistoryReadError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}; a history file holds one JSON object per line, each with a numeric "t" and a string "type"`);
    this.name = 'HistoryReadError';
  }
}

/** Reads a run's history.jsonl back into events; a line that is not an event is an error, never skipped. */
export function readHistory(file: string): HistoryEvent[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // The file ends with a newline, which leaves one empty string after the last line.
  if (lines.at(-1) === '') lines.pop();
  const events: HistoryEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new HistoryReadError(file, i + 1, line.trim() === '' ? 'empty line' : `not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HistoryReadError(file, i + 1, 'not a JSON object');
    const { t, type } = value as { t?: unknown; type?: unknown };
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new HistoryReadError(file, i + 1, '"t" is not a finite number');
    if (typeof type !== 'string') throw new HistoryReadError(file, i + 1, '"type" is not a string');
    events.push(value as HistoryEvent);
  }
  return events;
}
