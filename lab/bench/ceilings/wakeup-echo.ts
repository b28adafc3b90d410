/** The echo end of the wakeup ceiling (wakeup.ts): sends every chunk back to the loopback port in argv. */
import { connect } from 'node:net';

const s = connect(Number(process.argv[2]), '127.0.0.1');
s.setNoDelay(true);
s.on('data', (d) => s.write(d));
s.on('close', () => process.exit(0));
s.on('error', () => process.exit(0));
