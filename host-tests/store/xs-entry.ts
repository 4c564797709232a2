// XS entry: runs the store scenario inside the XS engine.
import { installXsHost, jsonBytes, registerCall } from '../../firmware/platform/xs-host/host';
import { runScenario } from './xs-scenario';

installXsHost();
registerCall('run', () => jsonBytes(runScenario()));
