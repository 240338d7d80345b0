/** A binary value that cannot be read or written as its type; the message never holds the value. */
export class BinaryValueError extends Error {
  constructor(type: string, why: string) {
    super(`a ${type} value ${why}`);
    this.name = 'BinaryValueError';
  }
}
