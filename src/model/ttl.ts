/** TTL / hop limit arithmetic shared by the rules and the reports. */

/** Initial TTL a sender most likely used (64 Linux/macOS, 128 Windows, 255 network gear). */
export function initialTtl(ttl: number): number {
  return ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

/** Hops between the sender and the capture point (the initial TTL minus the TTL seen). */
export function hopsOf(ttl: number): number {
  return initialTtl(ttl) - ttl;
}
