import { groupByCause, NO_CAUSE } from './causes.js';
import { faultTimeline, formatMs, paint, reproduceCommand, statsLines } from './format.js';
import type { RunReport } from './types.js';

/** Options of the terminal summary. */
export interface TerminalOptions {
  /** Use ANSI colors. @default false */
  color?: boolean;
  /** Counterexamples printed per cause of each broken invariant. @default 3 */
  examples?: number;
  /** Print every counterexample (`run --all`). @default false */
  all?: boolean;
}

/** A cause as a group heading says it. */
export function causeHeading(cause: string): string {
  return cause === NO_CAUSE ? 'no fault near it' : `near ${cause}`;
}

/** The run as a terminal summary: header, one ✔/✘ line per invariant, stats, faults, counterexamples by cause, reproduce line. */
export function renderTerminal(report: RunReport, options: TerminalOptions = {}): string {
  const p = paint(options.color ?? false);
  const perGroup = options.all === true ? Infinity : (options.examples ?? 3);
  const lines: string[] = [];
  const verdict = report.skipped !== undefined ? p.bold('SKIP') : report.ok ? p.ok('PASS') : p.bad('FAIL');
  lines.push(
    `${p.bold('deliverylab')} ${verdict}  scenario ${p.bold(report.scenario)}  seed ${report.seed}  ` +
      `semantics ${report.semantics}${report.writer ? `  writer ${report.writer}` : ''}${report.synchronous ? `  synchronous ${report.synchronous}` : ''}${topologyWords(report)}  ${formatMs(report.durationMs)}`,
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
  if (report.skipped !== undefined) lines.push(`- skipped, nothing was run or checked: ${report.skipped}`);
  if (report.error !== undefined) lines.push(`${p.bad('!')} the run could not be carried out: ${report.error}`);
  lines.push('');
  for (const l of statsLines(report.stats)) lines.push(p.dim(l));
  for (const r of report.invariants) if (r.notes !== undefined && r.notes.length > 0) lines.push(p.dim(`${r.name}: ${r.notes.join(', ')}`));
  if (report.story !== undefined && report.story.length > 0) {
    lines.push('', p.bold('What the faults did'));
    for (const s of report.story) lines.push(`  ${s}`);
  }
  const timeline = faultTimeline(report);
  if (timeline.length > 0) {
    lines.push('', p.bold('Faults'));
    for (const t of timeline) lines.push(`  ${formatMs(t.at).padStart(9)}  ${t.text}`);
  }
  const broken = report.invariants.filter((r) => !r.ok);
  let hidden = 0;
  if (broken.length > 0) {
    lines.push('', p.bold('Counterexamples'));
    for (const r of broken) {
      lines.push(`${p.bad('✘')} ${r.name}`);
      for (const g of groupByCause(r)) {
        lines.push(`  ${causeHeading(g.cause)}: ${g.examples.length} of ${r.violations}`);
        for (const ex of g.examples.slice(0, perGroup)) lines.push(`    - ${ex.text}`);
        const more = g.examples.length - Math.min(g.examples.length, perGroup);
        if (more > 0) lines.push(p.dim(`    … and ${more} more`));
        hidden += more;
      }
      const notKept = r.violations - r.examples.length;
      if (notKept > 0) lines.push(p.dim(`  … and ${notKept} more not kept`));
    }
    if (hidden > 0) lines.push(p.dim(`(${hidden} more counterexamples: --all prints every one; the JSON and HTML reports hold them all)`));
  }
  lines.push('', `reproduce: ${reproduceCommand(report)}`);
  return `${lines.join('\n')}\n`;
}

/** The topology in the header line when it is not one node on SQLite and one redis-server. */
function topologyWords(report: RunReport): string {
  const c = report.cluster as RunReport['cluster'] | undefined;
  if (!c || (c.nodes === 1 && c.db === 'sqlite' && c.redis === 'single')) return '';
  return `  ${c.nodes > 1 ? `${c.nodes} nodes × ${c.workersPerNode} workers, ` : ''}${c.db === 'postgres' ? 'PostgreSQL' : 'SQLite'}${c.redis === 'cluster' ? ', Redis Cluster' : ''}`;
}
