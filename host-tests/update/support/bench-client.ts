// A Node client with Firmware Update in a process of its own, for
// host-tests/bench/update.bench.ts: argv = server URI, endpoint, pull SZX,
// slot directory. Runs until killed; prints "registered" once it is.
import { silentLogger } from '../../../firmware/platform/ports';
import { startNodeDevice } from '../../../host/runtime';

const [serverUri, endpointName, szx, dir] = process.argv.slice(2);
await startNodeDevice({
  endpointName: endpointName!,
  serverUri,
  log: silentLogger,
  firmware: { dir: dir!, capacity: 1 << 20, blockSzx: Number(szx) },
  onEvent: (e) => {
    if (e.type === 'registered') process.stdout.write('registered\n');
  },
});
// A clean exit on SIGTERM (so --cpu-prof can write its profile).
process.on('SIGTERM', () => process.exit(0));
