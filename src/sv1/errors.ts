// Stratum V1 error codes as miners know them (slush/stratum convention):
// the error member is [code, message, traceback] with traceback null.
export const ERR_OTHER = 20;
export const ERR_STALE = 21;
export const ERR_DUPLICATE = 22;
export const ERR_LOW_DIFFICULTY = 23;
export const ERR_UNAUTHORIZED = 24;
export const ERR_NOT_SUBSCRIBED = 25;

/** A refusal of one request: the code and message sent back to the miner. */
export interface Sv1Reject {
  code: number;
  message: string;
}

export function reject(code: number, message: string): Sv1Reject {
  return { code, message };
}
