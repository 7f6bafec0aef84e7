/**
 * Unsigned integers read straight from buffer bytes, for the per-packet hot path (the decoder and
 * the pcapng parser). Buffer's readUInt16BE() and friends validate their offset argument on every
 * call (through a wrapper that collects its arguments into an array), which cost more than the
 * decoding itself. These do no checking: every caller has already checked that the bytes it reads
 * are there. (Past the end of a buffer they would read 0 bytes instead of throwing RangeError.)
 * They are small enough for V8 to inline wherever they are used.
 *
 * Local bindings. Modules on the hot path bind what they use for every packet to module-local
 * constants (`import * as bytes from ...; const { u16be } = bytes;`) instead of using the
 * imported names directly. V8 compiles a module's own constants into the code, but reads an
 * imported binding (or an exported one, even in its own module) from memory at every use and
 * checks it: for a constant object such as `EtherType` that is a load, a check and a property
 * load per use, for a function a load and two checks per call. This concerns `import`/`export`
 * bindings only; what the code does is the same either way.
 */

export function u16be(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u16le(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

export function u32be(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function u32le(b: Uint8Array, o: number): number {
  return ((b[o + 3] << 24) | (b[o + 2] << 16) | (b[o + 1] << 8) | b[o]) >>> 0;
}
