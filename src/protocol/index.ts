// The one contract between processes. Every message that crosses a process boundary is defined here,
// one zod discriminated union per channel and direction:
//   client → worker   ClientFrame        (frames.ts)   worker → client   ServerFrame  (frames.ts)
//   worker → primary  WorkerToPrimary    (ipc.ts)      primary → worker  PrimaryToWorker (ipc.ts)
//   worker ↔ worker   BusMessage over Redis (bus.ts), on channels named by channels.ts
//   lab → core        ControlRequest     (control.ts)  core → lab        CoreEvent    (control.ts)
// with the facts both sides must agree on: error codes, semantics variants, failpoint and crash-point
// names, the port layout, the core's options, the /health and /cluster bodies, and the web chat's
// page config and fault-command exchange.
export * from './errors.js';
export * from './frames.js';
export * from './channels.js';
export * from './bus.js';
export * from './commit.js';
export * from './ipc.js';
export * from './control.js';
export * from './semantics.js';
export * from './failpoints.js';
export * from './ports.js';
export * from './health.js';
export * from './cluster.js';
export * from './web.js';
export * from './web-page.js';
export * from './core-options.js';
export * from './prng.js';
export * from './trace.js';
export * from './limits.js';
export * from './text.js';
