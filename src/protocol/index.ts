export * from './errors.js';
export * from './frames.js';
export * from './channels.js';
export * from './control.js';
export * from './prng.js';
