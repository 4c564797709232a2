// The npm package's entry for Node applications (package.json "exports"):
// a client with its socket, store and restart (startNodeClient,
// startNodeDevice), the object seam to serve the application's own objects,
// the ready IPSO handlers, definitions from DDF tables, and the host servers.
export { startNodeClient, startNodeDevice, type NodeClientOptions, type NodeDevice, type NodeDeviceOptions } from './runtime';
export { LwM2MClient, DEFAULT_READ_TIMEOUT, type ClientEvent, type ClientOptions, type ClientState } from '../firmware/lwm2m/engine/client';
export type {
  ObjectSpec,
  ObjectHandler,
  InstanceSpec,
  Refusal,
  ReadRequest,
  ReadValue,
  WriteRequest,
  WriteOutcome,
  ExecuteRequest,
  ExecuteArgument,
  ExecuteResult,
  CreateRequest,
  DeleteRequest,
} from '../firmware/lwm2m/objects/object-api';
export type { ResourceValue } from '../firmware/lwm2m/objects/object-tree';
export {
  sensorObject,
  outputObject,
  pushButtonObject,
  IPSO,
  type Sensor,
  type SensorOptions,
  type OutputOptions,
  type PushButton,
  type PushButtonOptions,
} from '../firmware/lwm2m/objects/ipso-objects';
export { objectDefs, getObjectDef, type ObjectRow, type ResourceRow } from '../firmware/model/objects';
export type { ObjectDef, ResourceDef, Value, Objlnk, Path, DataType } from '../firmware/model/types';
export { ContentFormat, createFormats, FORMAT_ENTRIES, type ContentFormats, type FormatEntry } from '../firmware/formats';
/** The content formats on Node's codecs (wasm TLV, cbor-x), for a client built with new LwM2MClient (ClientOptions.formats). */
export { createNodeFormats } from '../firmware/platform/node/formats';
export { Code } from '../firmware/coap/message';
export { LwM2MServer, type LwM2MServerOptions, type OperationResult, type ServerEvent } from './lwm2m-server';
export { BootstrapServer } from './bootstrap-server';
export { loadModels } from './models';
