import { groupByCause } from './causes.js';
import { faultTimeline, firedText, formatMs, reproduceCommand, statsLines } from './format.js';
import { causeHeading } from './terminal.js';
import type { RunReport } from './types.js';
import { element, escapeXml } from './xml.js';

/** Seconds with millisecond precision, as JUnit's time attribute wants. */
function seconds(ms: number | undefined): string {
  return ((ms ?? 0) / 1000).toFixed(3);
}

/** The suite's output: stats, then the faults and fired failpoints in time order. */
function systemOut(report: RunReport): string[] {
  const timeline = faultTimeline(report).map((t) => `${formatMs(t.at).padStart(9)}  ${t.text}`);
  return [...statsLines(report.stats), ...(timeline.length > 0 ? ['faults:', ...timeline] : [])];
}

/** One testsuite per run, one testcase per invariant; a broken invariant is a failure carrying its examples. */
function suite(report: RunReport): string {
  const failures = report.invariants.filter((r) => !r.ok).length;
  const errors = report.error === undefined ? 0 : 1;
  const properties = element('properties', {}, [
    element('property', { name: 'scenario', value: report.scenario }),
    element('property', { name: 'seed', value: report.seed }),
    element('property', { name: 'semantics', value: report.semantics }),
    element('property', { name: 'reproduce', value: reproduceCommand(report) }),
    ...(report.fired ?? []).map((f) => element('property', { name: 'failpoint-fired', value: `${formatMs(f.at)}: ${firedText(f)}` })),
  ], true);
  const classname = `deliverylab.${report.scenario}.${report.semantics}`;
  const cases = report.invariants.map((r) => {
    const children: string[] = [];
    if (!r.ok) {
      const body = groupByCause(r)
        .map((g) => [`${causeHeading(g.cause)}: ${g.examples.length} of ${r.violations}`, ...g.examples.map((e) => `- ${e.text}`)].join('\n'))
        .join('\n');
      children.push(
        element('failure', { type: 'invariant', message: `${r.name}: ${r.violations} ${r.violations === 1 ? 'violation' : 'violations'} of ${r.checked}` }, [escapeXml(body || 'no example kept')]),
      );
    }
    if (r.notes !== undefined && r.notes.length > 0) children.push(element('system-out', {}, [escapeXml(r.notes.join('\n'))]));
    return element('testcase', { name: r.name, classname, time: seconds(r.timeMs) }, children, true);
  });
  if (report.skipped !== undefined) {
    cases.push(element('testcase', { name: 'run', classname, time: '0.000' }, [element('skipped', { message: report.skipped }, [])]));
  }
  if (report.error !== undefined) {
    cases.push(element('testcase', { name: 'run', classname, time: '0.000' }, [element('error', { type: 'run', message: report.error }, [])]));
  }
  return element(
    'testsuite',
    {
      name: `${report.scenario} [${report.semantics}, seed ${report.seed}]`,
      tests: cases.length,
      failures,
      errors,
      skipped: report.skipped === undefined ? 0 : 1,
      time: seconds(report.durationMs),
    },
    [properties, ...cases, element('system-out', {}, [escapeXml(systemOut(report).join('\n'))])],
    true,
  );
}

/** The runs as one JUnit XML document for CI systems. */
export function renderJUnit(reports: readonly RunReport[]): string {
  const suites = reports.map(suite);
  const tests = reports.reduce((n, r) => n + r.invariants.length + (r.error === undefined ? 0 : 1) + (r.skipped === undefined ? 0 : 1), 0);
  const failures = reports.reduce((n, r) => n + r.invariants.filter((i) => !i.ok).length, 0);
  const errors = reports.filter((r) => r.error !== undefined).length;
  const time = reports.reduce((n, r) => n + r.durationMs, 0);
  const skipped = reports.filter((r) => r.skipped !== undefined).length;
  const root = element('testsuites', { name: 'deliverylab', tests, failures, errors, skipped, time: seconds(time) }, suites, true);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}
