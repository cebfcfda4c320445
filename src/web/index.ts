// The pool's web page, JSON API and Prometheus metrics.
export { createWebServer, type WebServer, type WebServerOptions } from './server.js';
export {
  WEB_FIELDS,
  WEB_SCHEMA,
  defaultWebConfig,
  resolveSessionSecret,
  secretFileNear,
  type WebConfig,
} from './config.js';
export {
  LiveCounters,
  type LiveChain,
  type LiveChannel,
  type PayoutModeName,
  type PoolLive,
} from './live.js';
export { DEFAULT_SCRYPT, hashPassword, verifyPassword, type ScryptParams } from './auth/password.js';
export { escapeHtml, html, trusted } from './escape.js';
export { deviceFamily } from './devices.js';
