/**
 * Encapsulations around frames and packets, for the tunnel tests and the crafted fixtures:
 * 802.1ah PBB, Cisco FabricPath, UDP, GRE (plain and in UDP), AYIYA, Teredo indications, and a
 * few that synscope does not decode (MACsec, ESP). Field layouts as Wireshark reads them
 * (packet-ieee8021ah.c, packet-cisco-fp-mim.c, packet-gre.c, packet-ayiya.c, packet-teredo.c).
 */
import { crc32 } from 'node:zlib';

import { internetChecksum, ipv4Bytes, macBytes, pseudoHeader } from './packets.js';

export const ETH_P_PBB = 0x88e7;
export const ETH_P_FABRICPATH = 0x8903;
export const ETH_P_MACSEC = 0x88e5;
export const IPPROTO_UDP = 17;
export const IPPROTO_GRE = 47;
export const IPPROTO_ESP = 50;

/** A UDP datagram; with `ips` its checksum is computed (else 0, "none", allowed over IPv4 only). */
export function udp(sport: number, dport: number, payload: Buffer, ips?: { srcIp: string; dstIp: string }): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  if (ips) {
    const sum = internetChecksum(pseudoHeader(ips.srcIp, ips.dstIp, 17, 8 + payload.length), h, payload);
    h.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  }
  return Buffer.concat([h, payload]);
}

export interface PbbOptions {
  /** Backbone addresses. */
  bda?: string;
  bsa?: string;
  /** B-VID of an 802.1ad B-tag before the I-TAG; none when undefined. */
  bvid?: number;
  /** 24-bit service instance identifier. */
  isid: number;
  priority?: number;
}

/**
 * 802.1ah: B-DA, B-SA, optional B-tag (0x88a8), 0x88e7, the I-TAG, then the customer frame as
 * it is (customer addresses, optional customer tags, EtherType, payload).
 */
export function pbb(o: PbbOptions, customerFrame: Buffer): Buffer {
  const parts: Buffer[] = [macBytes(o.bda ?? '00:00:5e:00:53:b2'), macBytes(o.bsa ?? '00:00:5e:00:53:b1')];
  if (o.bvid !== undefined) {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(0x88a8, 0);
    t.writeUInt16BE(o.bvid & 0x0fff, 2);
    parts.push(t);
  }
  const itag = Buffer.alloc(6);
  itag.writeUInt16BE(ETH_P_PBB, 0);
  itag.writeUInt32BE((((o.priority ?? 0) & 7) << 29 | (o.isid & 0xffffff)) >>> 0, 2);
  parts.push(itag, customerFrame);
  return Buffer.concat(parts);
}

export interface FabricPathOptions {
  /** Outer (hierarchical) addresses: switch id, sub-switch id, local id packed as Wireshark shows them. */
  switchDst?: number;
  switchSrc?: number;
  ftag?: number;
  ttl?: number;
  /** An 802.1Q tag before 0x8903 (the 20-byte header variant); none when undefined. */
  vlan?: number;
}

/** The 6-byte hierarchical MAC: U/L bit set, 12-bit switch id, sub-switch id 0, local id 0x0001. */
function hmac(swid: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(((0x02 << 16) | (swid & 0x0fff)) >>> 0, 0, 3);
  b[3] = 0;
  b.writeUInt16BE(0x0001, 4);
  return b;
}

/** Cisco FabricPath: outer DA, outer SA, [802.1Q tag], 0x8903, FTag (10 bits) + TTL (6), the original frame. */
export function fabricPath(o: FabricPathOptions, innerFrame: Buffer): Buffer {
  const parts: Buffer[] = [hmac(o.switchDst ?? 0x0c2), hmac(o.switchSrc ?? 0x0c1)];
  if (o.vlan !== undefined) {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(0x8100, 0);
    t.writeUInt16BE(o.vlan & 0x0fff, 2);
    parts.push(t);
  }
  const tag = Buffer.alloc(4);
  tag.writeUInt16BE(ETH_P_FABRICPATH, 0);
  tag.writeUInt16BE((((o.ftag ?? 1) & 0x3ff) << 6) | ((o.ttl ?? 32) & 0x3f), 2);
  parts.push(tag, innerFrame);
  return Buffer.concat(parts);
}

/**
 * The frame with its 4-byte FCS (CRC-32, least significant byte first) appended. tshark 4.0's
 * FabricPath dissector always takes the last 4 bytes of a FabricPath frame for its FCS (later
 * versions only when the capture says it has one), so FabricPath fixtures carry one.
 */
export function withFcs(frame: Buffer): Buffer {
  const f = Buffer.alloc(4);
  f.writeUInt32LE(crc32(frame) >>> 0, 0);
  return Buffer.concat([frame, f]);
}

/** A GRE header (RFC 2784/2890): checksum (computed), key and sequence fields as flagged. */
export function gre(proto: number, payload: Buffer, o: { key?: number; seq?: number; checksum?: boolean } = {}): Buffer {
  let flags = 0;
  const fields: Buffer[] = [];
  if (o.checksum) { flags |= 0x8000; fields.push(Buffer.alloc(4)); }
  if (o.key !== undefined) { flags |= 0x2000; const k = Buffer.alloc(4); k.writeUInt32BE(o.key >>> 0, 0); fields.push(k); }
  if (o.seq !== undefined) { flags |= 0x1000; const s = Buffer.alloc(4); s.writeUInt32BE(o.seq >>> 0, 0); fields.push(s); }
  const h = Buffer.alloc(4);
  h.writeUInt16BE(flags, 0);
  h.writeUInt16BE(proto, 2);
  const out = Buffer.concat([h, ...fields, payload]);
  if (o.checksum) out.writeUInt16BE(internetChecksum(out), 4);
  return out;
}

export interface AyiyaOptions {
  /** Identity length is 2^idLenExp bytes (4: 16 bytes, an IPv6 address). */
  idLenExp?: number;
  /** 0 none, 1 integer, 2 ASCII string. */
  idType?: number;
  /** Signature length in 4-byte words (5: 20 bytes, SHA-1). */
  sigWords?: number;
  /** 0 none, 1 MD5, 2 SHA-1. */
  hash?: number;
  /** 0 none, 1 shared secret, 2 public key. */
  auth?: number;
  /** 1 is "forward". */
  opcode?: number;
  /** Next header: 41 (IPv6) or 4 (IPv4). */
  next: number;
  epoch?: number;
  identity?: Buffer;
}

/** AYIYA (draft-massar-v6ops-ayiya-02): the 8-byte header, identity, signature (bytes 0x5a), payload. */
export function ayiya(o: AyiyaOptions, payload: Buffer): Buffer {
  const idLen = 1 << (o.idLenExp ?? 4);
  const sigLen = (o.sigWords ?? 5) * 4;
  const h = Buffer.alloc(8 + idLen + sigLen, 0x5a);
  h[0] = ((o.idLenExp ?? 4) << 4) | ((o.idType ?? 1) & 15);
  h[1] = ((o.sigWords ?? 5) << 4) | ((o.hash ?? 2) & 15);
  h[2] = ((o.auth ?? 1) << 4) | ((o.opcode ?? 1) & 15);
  h[3] = o.next;
  h.writeUInt32BE(o.epoch ?? 1_773_480_413, 4);
  (o.identity ?? Buffer.alloc(idLen, 0x11)).copy(h, 8, 0, idLen);
  return Buffer.concat([h, payload]);
}

/** Teredo origin indication (RFC 4380 5.1.1): 0x0000, then the port and IPv4 address, both inverted. */
export function teredoOrigin(port: number, addr: string): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(~port & 0xffff, 2);
  const a = ipv4Bytes(addr);
  for (let i = 0; i < 4; i++) b[4 + i] = ~a[i]! & 0xff;
  return b;
}

/** Teredo authentication indication: 0x0001, id and value lengths, id, value, nonce, confirmation. */
export function teredoAuth(id: Buffer, value: Buffer, nonce = Buffer.from('0123456789abcdef', 'hex')): Buffer {
  return Buffer.concat([Buffer.from([0, 1, id.length, value.length]), id, value, nonce, Buffer.from([0])]);
}

/**
 * A MACsec (802.1AE) frame with an encrypted payload: addresses, 0x88e5, SecTAG (TCI with E and C
 * set, short length, packet number, SCI), the "ciphertext" (the user data XORed, not really
 * encrypted, so nothing can read it as IP) and a 16-byte ICV.
 */
export function macsec(frame: Buffer, pn: number): Buffer {
  const sectag = Buffer.alloc(2 + 6 + 8);
  sectag.writeUInt16BE(ETH_P_MACSEC, 0);
  sectag[2] = 0x2c; // TCI: SC (SCI present), E, C; AN 0
  sectag[3] = 0;
  sectag.writeUInt32BE(pn >>> 0, 4);
  frame.copy(sectag, 8, 6, 12); // SCI: the source address and port 1
  sectag.writeUInt16BE(1, 14);
  const data = Buffer.from(frame.subarray(12));
  for (let i = 0; i < data.length; i++) data[i]! ^= 0xa5 ^ (i & 0xff);
  return Buffer.concat([frame.subarray(0, 12), sectag, data, Buffer.alloc(16, 0x1c)]);
}

/** An ESP packet body: SPI, sequence number, the "ciphertext" (payload XORed), 12-byte ICV. */
export function esp(spi: number, seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(spi >>> 0, 0);
  h.writeUInt32BE(seq >>> 0, 4);
  const data = Buffer.from(payload);
  for (let i = 0; i < data.length; i++) data[i]! ^= 0x3c ^ (i & 0xff);
  return Buffer.concat([h, data, Buffer.alloc(12, 0xe5)]);
}
