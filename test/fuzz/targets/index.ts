// Every fuzz target, in the order the CLI and the test run them.
import type { FuzzTarget } from '../core.js';
import { configLoad } from './config.js';
import { noiseAct1, noiseAct2, noiseTransport } from './noise.js';
import { rpcReply } from './rpc.js';
import { sv1Lines, sv1Session } from './sv1.js';
import { sv2Frame } from './sv2.js';
import { webRoutes } from './web.js';

export const TARGETS: readonly FuzzTarget[] = [
  sv2Frame,
  noiseAct1,
  noiseAct2,
  noiseTransport,
  sv1Lines,
  sv1Session,
  configLoad,
  rpcReply,
  webRoutes,
];
