export type { FaultSummary, FiredFailpoint, MatrixCell, PhaseMark, RunReport } from './types.js';
export { renderTerminal, type TerminalOptions } from './terminal.js';
export { renderJson } from './json.js';
export { renderJUnit } from './junit.js';
export { renderHtml } from './html.js';
export { renderMatrix, abbreviate, type MatrixOptions } from './matrix.js';
export { buildRunReport, matrixCell, type RunFacts } from './build.js';
export { escapeXml } from './xml.js';
export { formatMs, reproduceCommand } from './format.js';
