// Errors of the Bitcoin layer. Malformed bytes from a peer or a node raise
// BitcoinDataError; a bad address or a wrong-network address raises
// AddressError. Both carry a message meant to be shown to an operator as is.

export class BitcoinDataError extends Error {
  override readonly name = 'BitcoinDataError';
}

export class AddressError extends Error {
  override readonly name = 'AddressError';
}
