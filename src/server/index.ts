// The core's server: `main.ts` is the program; these are for a white-box consumer (lab/bench) and tests.
export { startCore, parseCoreArgv, CoreUsageError, type RunningCore } from './core.js';
export { startPrimary, type Primary, type PrimaryOptions } from './primary.js';
export { loadNativeUws, NativeUwsUnavailableError } from './uws.js';
export { parseFrame, type ParsedFrame } from './frame-parser.js';
export { msgFrame } from './chat-worker.js';
