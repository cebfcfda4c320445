// Loads the external vector files these tests check against.
import { readFileSync } from 'node:fs';
import { vectorPath } from '../helpers/paths.js';

export function loadJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(vectorPath(...parts), 'utf8')) as T;
}

export function loadBytes(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(vectorPath(...parts)));
}

export function loadText(...parts: string[]): string {
  return readFileSync(vectorPath(...parts), 'utf8');
}

export interface VectorBlock {
  height: number;
  header_hex: string;
  block_hash_display: string;
  bits: string;
  target_from_bits_be: string;
  version?: number;
  prev_block_display?: string;
  merkle_root_display?: string;
  time?: number;
  nonce?: number;
  tx_count?: number;
  all_txids_display?: string[];
  coinbase_merkle_path_internal?: string[];
  coinbase?: {
    hex?: string;
    txid_display?: string;
    wtxid_display?: string;
    scriptsig_hex: string;
    is_segwit_serialization?: boolean;
    outputs?: { value_sat: number; script_pubkey_hex: string }[];
    locktime?: number;
    input_sequence?: number;
    witness_commitment_hex?: string;
    witness_commitment_output_index?: number;
    witness_merkle_root_internal?: string;
    witness_reserved_value_hex?: string;
  };
}

export interface BlocksFile {
  blocks: VectorBlock[];
  headers_chain: { computed_hashes: { height: number; block_hash_display: string }[] };
  bip34_height_pushes: {
    examples: {
      height: number;
      push_hex: string;
      scriptsig_prefix_hex?: string;
      scriptsig_hex?: string;
      from: string | { tx_hex?: string; txid_display?: string };
    }[];
  };
}

export const BLOCKS_FILE = ['extracted', 'bitcoin', 'blocks_coinbases_bip34.json'];
