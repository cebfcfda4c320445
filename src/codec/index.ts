// SV2 binary codec: data types, bounds-checked reader, single-allocation
// writer, TLV fields and the frame header.
export * from './alloc.js';
export * from './errors.js';
export * from './frame.js';
export * from './reader.js';
export * from './tlv.js';
export * from './types.js';
export * from './utf8.js';
export * from './writer.js';
