// The device's TLV backend: the AssemblyScript codec compiled to C by wasm2c
// and linked into the firmware (tlv-native.c). The platform installs it at
// start, before anything decodes.
import { setTlvBackend, type TlvBackend } from '../../codec/backend';
import * as native from './tlv-native';
import { TlvLinearBackend } from './tlv-linear';

export function createNativeTlv(): TlvBackend {
  return new TlvLinearBackend('native', native);
}

export function installNativeTlv(): TlvBackend {
  const b = createNativeTlv();
  setTlvBackend(b);
  return b;
}
