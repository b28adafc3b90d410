export { startPrimary, slotPort, type Primary, type PrimaryOptions } from './primary.js';
export { loadNativeUws, NativeUwsUnavailableError } from './uws.js';
