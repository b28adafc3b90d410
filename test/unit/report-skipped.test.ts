import { describe, expect, it } from 'vitest';
import { buildRunReport, renderHtml, renderJson, renderJUnit, renderTerminal } from '../../lab/report/index.js';
import { repeatRunLine } from '../../lab/runner/repeat.js';

/** A run this machine could not build (no network namespaces): nothing ran, nothing was checked. */
const skipped = () => buildRunReport({
  scenario: 'nodes-node-kill', seed: 1, semantics: 'effectively-once', cluster: { nodes: 3, workersPerNode: 2, db: 'postgres', redis: 'single' },
  durationMs: 12, history: [], skipped: 'a run of 3 nodes needs network namespaces: network namespaces need root',
});

describe('a skipped run', () => {
  it('says SKIP and why in every report, never PASS', () => {
    const r = skipped();
    expect(r.invariants).toEqual([]);
    expect(renderTerminal(r)).toMatch(/^deliverylab SKIP .*\n- skipped, nothing was run or checked: a run of 3 nodes needs network namespaces/);
    expect(renderTerminal(r)).not.toContain('PASS');
    expect(JSON.parse(renderJson(r))).toMatchObject({ skipped: 'a run of 3 nodes needs network namespaces: network namespaces need root', cluster: { nodes: 3 } });
    expect(renderJUnit([r])).toMatch(/<testsuites [^>]*skipped="1"[\s\S]*<skipped message="a run of 3 nodes/);
    expect(renderHtml(r, [])).toContain('<span class="verdict">SKIP</span>');
    expect(renderHtml(r, [])).not.toContain('>PASS<');
    expect(repeatRunLine(r, 0, 1, 1)).toContain('SKIP');
  });
});
