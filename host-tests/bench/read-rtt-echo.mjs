// The floor of the read bench for any Node program in a process of its own: a
// node:dgram socket that answers every datagram with a fixed 73-byte ACK of
// the same Message ID and token, doing nothing else. Started by read-rtt.bench.ts.
import dgram from 'node:dgram';

const s = dgram.createSocket('udp4');
const reply = Buffer.alloc(73, 0x20);
s.on('message', (d, r) => {
  const tkl = d[0] & 15;
  reply[0] = 0x60 | tkl;
  reply[1] = 0x45;
  reply[2] = d[2];
  reply[3] = d[3];
  d.copy(reply, 4, 4, 4 + tkl);
  s.send(reply, r.port, r.address);
});
s.bind(0, '127.0.0.1', () => process.send({ type: 'ready', port: s.address().port }));
process.on('message', (m) => {
  if (m.type === 'stop') {
    s.close();
    process.exit(0);
  }
});
