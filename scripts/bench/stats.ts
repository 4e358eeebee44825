/** The numbers and tables every bench part prints: medians, nearest-rank quantiles, aligned columns. */
import { table as columns } from '../lib/table';

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The q-quantile of sorted values, nearest rank; NaN when there are none. */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function stats(values: number[]): { n: number; p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/** A number to `digits` places, or – when there is none (NaN: nothing measured). */
export const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** Rows (the header first) as columns: the first left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const [header, ...body] = rows;
  return columns(header!, body, { align: header!.map((_, i) => (i === 0 ? 'left' : 'right')) });
}
