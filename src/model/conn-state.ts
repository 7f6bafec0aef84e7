/**
 * Zeek's conn.log `conn_state` values (base/protocols/conn/main.zeek documents them), as
 * synscope computes them for each attempt: see src/handshake/conn-track.ts.
 *
 * - `S0` attempt seen, no reply; `S1` established, not terminated; `SF` established and closed
 *   normally; `REJ` attempt rejected (a RST answered the SYN); `S2` / `S3` established, close
 *   attempt by the originator / responder only; `RSTO` / `RSTR` established, then the
 *   originator / responder sent a RST; `RSTOS0` SYN then a RST from the originator, no SYN-ACK;
 *   `RSTRH` SYN-ACK then a RST from the responder, no SYN; `SH` / `SHR` SYN (or SYN-ACK) then a
 *   FIN without the other side's handshake; `OTH` anything else (no SYN: midstream).
 */
export type ConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

export const CONN_STATES: readonly ConnState[] = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'];
