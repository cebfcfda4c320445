// Stratum V1 for the translator's miner-facing side: a bounded line parser,
// the JSON-RPC envelope, per-connection sessions, jobs, share checks, vardiff
// and session resume. No sockets: the translator wires a session to one.
export * from './errors.js';
export * from './lines.js';
export * from './raw-member.js';
export * from './envelope.js';
export * from './hex.js';
export * from './difficulty.js';
export * from './devices.js';
export * from './miner-difficulty.js';
export * from './configure.js';
export * from './upstream.js';
export * from './notify.js';
export * from './jobs.js';
export * from './share.js';
export * from './vardiff.js';
export * from './resume.js';
export * from './session.js';
