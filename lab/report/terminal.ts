import { formatMs, paint, reproduceCommand, statsLines } from './format.js';
import type { RunReport } from './types.js';

/** Options of the terminal summary. */
export interface TerminalOptions {
  /** Use ANSI colors. @default false */
  color?: boolean;
  /** Counterexamples printed per broken invariant. @default 3 */
  examples?: number;
}

/** The run as a terminal summary: header, one ✔/✘ line per invariant, stats, counterexamples, reproduce line. */
export function renderTerminal(report: RunReport, options: TerminalOptions = {}): string {
  const p = paint(options.color ?? false);
  const perInvariant = options.examples ?? 3;
  const lines: string[] = [];
  const verdict = report.ok ? p.ok('PASS') : p.bad('FAIL');
  lines.push(
    `${p.bold('deliverylab')} ${verdict}  scenario ${p.bold(report.scenario)}  seed ${report.seed}  ` +
      `semantics ${report.semantics}${report.writer ? `  writer ${report.writer}` : ''}  ${formatMs(report.durationMs)}`,
  );
  const width = Math.max(0, ...report.invariants.map((r) => r.name.length));
  for (const r of report.invariants) {
    const name = r.name.padEnd(width);
    lines.push(
      r.ok
        ? `${p.ok('✔')} ${name}  checked ${r.checked}`
        : `${p.bad('✘')} ${name}  ${r.violations} ${r.violations === 1 ? 'violation' : 'violations'} of ${r.checked}`,
    );
  }
  if (report.error !== undefined) lines.push(`${p.bad('!')} the run could not be carried out: ${report.error}`);
  lines.push('');
  for (const l of statsLines(report.stats)) lines.push(p.dim(l));
  for (const r of report.invariants) if (r.notes !== undefined && r.notes.length > 0) lines.push(p.dim(`${r.name}: ${r.notes.join(', ')}`));
  const timeline = [
    ...report.faults.map((f) => ({ at: f.at, text: `fault ${f.kind} on ${f.target}, ${f.healedAt === null ? 'never healed' : `healed at ${formatMs(f.healedAt)}`}` })),
    ...(report.fired ?? []).map((f) => ({ at: f.at, text: `failpoint ${f.failpoint} fired in worker ${f.worker} (pid ${f.pid}) on ${f.detail}` })),
  ].sort((a, b) => a.at - b.at);
  if (timeline.length > 0) {
    lines.push('', p.bold('Faults'));
    for (const t of timeline) lines.push(`  ${formatMs(t.at).padStart(9)}  ${t.text}`);
  }
  const broken = report.invariants.filter((r) => !r.ok);
  if (broken.length > 0) {
    lines.push('', p.bold('Counterexamples'));
    for (const r of broken) {
      lines.push(`${p.bad('✘')} ${r.name}`);
      for (const ex of r.examples.slice(0, perInvariant)) lines.push(`  - ${ex.text}`);
      const more = r.violations - Math.min(r.examples.length, perInvariant);
      if (more > 0) lines.push(p.dim(`  … and ${more} more`));
    }
  }
  lines.push('', `reproduce: ${reproduceCommand(report)}`);
  return `${lines.join('\n')}\n`;
}
