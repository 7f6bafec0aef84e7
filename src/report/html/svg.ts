/**
 * Small helpers for writing HTML and SVG as text: escaping, number formatting, and the verdict
 * palette. The palette is Okabe and Ito's (2008) set of eight colours that stay distinct under the
 * common colour-vision deficiencies, plus grey; every verdict also has its own shape, and the
 * legend and every mark carry the verdict's name as text, so colour is never the only cue.
 */
import type { Verdict } from '../../model/verdict.js';

/** Text for HTML element content and attribute values (double-quoted). */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A coordinate with at most two decimals (SVG text stays short). */
export function num(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** `5.6 ms`, `1.02 s`, `2 min 3 s`: a duration in the unit people read it in. */
export function duration(sec: number): string {
  const a = Math.abs(sec);
  const sign = sec < 0 ? '-' : '';
  if (a < 1) return `${sign}${(a * 1000).toFixed(a < 0.1 ? 1 : 0)} ms`;
  if (a < 120) return `${sign}${a.toFixed(a < 10 ? 2 : 1)} s`;
  return `${sign}${Math.floor(a / 60)} min ${Math.round(a % 60)} s`;
}

export interface VerdictStyle {
  colour: string;
  /** SVG path of the mark's shape, centred on (0, 0), about 10 units across. */
  shape: string;
  /** The shape's name, for the legend's text. */
  shapeName: string;
}

export const VERDICT_STYLE: Record<Verdict, VerdictStyle> = {
  established: { colour: '#009E73', shape: 'M0,-5A5,5 0 1 1 0,5A5,5 0 1 1 0,-5Z', shapeName: 'circle' },
  refused: { colour: '#D55E00', shape: 'M-4.5,-4.5H4.5V4.5H-4.5Z', shapeName: 'square' },
  'forged-reset': { colour: '#CC79A7', shape: 'M0,-6L6,0L0,6L-6,0Z', shapeName: 'diamond' },
  rejected: { colour: '#E69F00', shape: 'M0,-6L5.5,4.5H-5.5Z', shapeName: 'triangle' },
  unreachable: { colour: '#56B4E9', shape: 'M0,6L5.5,-4.5H-5.5Z', shapeName: 'inverted triangle' },
  filtered: { colour: '#000000', shape: 'M-5,-3L-3,-5L0,-2L3,-5L5,-3L2,0L5,3L3,5L0,2L-3,5L-5,3L-2,0Z', shapeName: 'cross' },
  'backlog-drop': { colour: '#0072B2', shape: 'M-1.8,-5.5H1.8V-1.8H5.5V1.8H1.8V5.5H-1.8V1.8H-5.5V-1.8H-1.8Z', shapeName: 'plus' },
  aborted: { colour: '#F0E442', shape: 'M-5.5,-2.5H5.5V2.5H-5.5Z', shapeName: 'bar' },
  incomplete: { colour: '#999999', shape: 'M0,-5A5,5 0 1 1 0,5A5,5 0 1 1 0,-5ZM0,-2.5A2.5,2.5 0 1 0 0,2.5A2.5,2.5 0 1 0 0,-2.5Z', shapeName: 'ring' },
};
