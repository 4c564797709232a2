// XS entry: runs the store scenario inside the XS engine.
import { installXsHost, jsonBytes, registerCall } from '../port/host';
import { runScenario } from '../../store/xs-scenario';

installXsHost();
registerCall('run', () => jsonBytes(runScenario()));
