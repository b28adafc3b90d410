import { SEMANTICS_NAMES } from '../../src/protocol/index.js';
import { paint } from './format.js';
import type { MatrixCell } from './types.js';

/** Options of the matrix table. */
export interface MatrixOptions {
  /** Use ANSI colors. @default false */
  color?: boolean;
}

/** An invariant name shortened to its initials: "at-least-once" → "ALO". */
export function abbreviate(name: string): string {
  return name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase())
    .join('');
}

/** What a cell shows: ✔, ✘ with the first broken invariant abbreviated (+k more), ! for a run error, – if absent. */
function cellText(cell: MatrixCell | undefined): string {
  if (cell === undefined) return '–';
  if (cell.error !== undefined) return '! error';
  if (cell.ok) return '✔';
  const [first, ...rest] = cell.broken;
  return `✘ ${first === undefined ? '?' : abbreviate(first)}${rest.length > 0 ? `+${rest.length}` : ''}`;
}

/** Values in first-seen order, with known ones first in their canonical order. */
function ordered(values: readonly string[], canonical: readonly string[] = []): string[] {
  const seen = new Set(values);
  return [...canonical.filter((v) => seen.has(v)), ...[...seen].filter((v) => !canonical.includes(v))];
}

/** The variants × scenarios table (rows: semantics, columns: scenarios), a legend, then one counterexample per variant. */
export function renderMatrix(cells: readonly MatrixCell[], options: MatrixOptions = {}): string {
  const p = paint(options.color ?? false);
  const rows = ordered(cells.map((c) => c.semantics), SEMANTICS_NAMES);
  const cols = ordered(cells.map((c) => c.scenario));
  const at = new Map(cells.map((c) => [`${c.semantics}\u0000${c.scenario}`, c]));
  const texts = rows.map((r) => cols.map((c) => cellText(at.get(`${r}\u0000${c}`))));
  const first = Math.max('semantics'.length, ...rows.map((r) => r.length));
  const widths = cols.map((c, i) => Math.max(c.length, ...texts.map((t) => (t[i] ?? '').length)));
  const color = (t: string): string => (t.startsWith('✔') ? p.ok(t) : t.startsWith('✘') || t.startsWith('!') ? p.bad(t) : t);
  const lines = [
    p.bold(['semantics'.padEnd(first), ...cols.map((c, i) => c.padEnd(widths[i] ?? 0))].join('  ').trimEnd()),
    ...rows.map((r, ri) =>
      [r.padEnd(first), ...cols.map((_, i) => {
        const t = texts[ri]?.[i] ?? '';
        return color(t) + ' '.repeat(Math.max(0, (widths[i] ?? 0) - t.length));
      })].join('  ').trimEnd(),
    ),
  ];
  const used = [...new Set(cells.flatMap((c) => c.broken))];
  if (used.length > 0) lines.push('', p.dim(`legend: ${used.map((n) => `${abbreviate(n)} ${n}`).join(', ')}`));
  lines.push('');
  for (const r of rows) {
    const mine = cells.filter((c) => c.semantics === r);
    const failed = mine.find((c) => !c.ok && c.error === undefined && c.example !== undefined) ?? mine.find((c) => !c.ok);
    if (failed === undefined) lines.push(`${r}: ${p.ok('every invariant held')} in ${mine.length} ${mine.length === 1 ? 'scenario' : 'scenarios'}`);
    else if (failed.error !== undefined) lines.push(`${r}: ${p.bad('run error')} in ${failed.scenario}: ${failed.error}`);
    else {
      const what = failed.broken[0] ?? 'an invariant';
      lines.push(`${r}: ${p.bad(what)} broke in ${failed.scenario}: ${failed.example ?? 'no counterexample kept'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
