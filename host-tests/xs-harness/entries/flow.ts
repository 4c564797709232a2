// XS entry for the LwM2M flow: the client engine runs inside XS over the
// xs-host port (UDP and timers bridged to Node) with the wasm2js TLV codec,
// against the host Bootstrap-Server and LwM2M Server in Node.
import * as tlvJs from 'xs:tlv-wasm2js';
import {
  emitEvent,
  installXsHost,
  jsonBytes as json,
  openXsUdp,
  parseJsonBytes as parse,
  registerCall,
  xsLogger,
  xsRandom,
  xsTimers,
} from '../port/host';
import { createWasm2jsTlv } from '../port/tlv';
import type { LwM2MClient } from '../../../firmware/lwm2m/engine/client';
import { assembleDevice } from '../../../firmware/lwm2m/engine/device-assembly';
import type { Logger } from '../../../firmware/platform/ports';
import { flowClientOptions, snapshotTree } from '../../lwm2m/flow-scenario';

installXsHost();

let client: LwM2MClient | null = null;

// Debug and info lines cross to Node only when asked (each is one round trip).
let verbose = false;
const log: Logger = {
  error: (m) => xsLogger.error(m),
  warn: (m) => xsLogger.warn(m),
  info: (m) => {
    if (verbose) xsLogger.info(m);
  },
  debug: (m) => {
    if (verbose) xsLogger.debug(m);
  },
};

registerCall('start', (p) => {
  const o = parse<{ endpointName: string; bsUri: string; verbose?: boolean }>(p);
  verbose = !!o.verbose;
  const transport = openXsUdp({ address: '127.0.0.1' });
  const { wallClock, ...options } = flowClientOptions(o.endpointName, o.bsUri);
  client = assembleDevice(
    { transport, timers: xsTimers, random: xsRandom, log, wallClock, tlv: createWasm2jsTlv(tlvJs) },
    {
      ...options,
      onEvent: (e) => emitEvent('client', json(e)),
    },
  ).client;
  client.start();
  return json({ port: transport.port });
});

registerCall('state', () =>
  json({
    state: client?.state,
    registered: client?.registeredServers.length ?? 0,
    tree: client ? snapshotTree(client.running) : null,
    coap: client?.endpoint.stats,
  }),
);

registerCall('stop', () => {
  const c = client;
  if (!c) return json(null);
  c.stop().then(
    () => emitEvent('stopped'),
    (e: Error) => emitEvent('stopped', json({ error: e.message })),
  );
  return json(null);
});
