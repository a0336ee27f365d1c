// Parallel edges fanned out: several edges between the same two nodes (the
// three `message.payload.pokemon equals …` edges of one keyboard node to one
// message node) each get a slot (…, -1, 0, 1, … or -0.5, 0.5 for two) and are
// drawn as curves bent apart by slot × spacing, so that each label is readable.

export interface PairEdge {
  id: string;
  source: string;
  target: string;
}

/** The slot of each edge among the edges of its (source, target) pair, centred on 0; a lone edge: 0. */
export function fanSlots(edges: PairEdge[]): Map<string, number> {
  const groups = new Map<string, string[]>();
  for (const edge of edges) {
    const key = `${edge.source}\u0000${edge.target}`;
    const group = groups.get(key);
    if (group) group.push(edge.id);
    else groups.set(key, [edge.id]);
  }
  const slots = new Map<string, number>();
  for (const ids of groups.values()) ids.forEach((id, i) => slots.set(id, i - (ids.length - 1) / 2));
  return slots;
}

export const LABEL_HEIGHT = 22;
export const MIN_SPACING = 26;
export const MAX_SPACING = 220;

/** The width a label takes on the canvas (12 px font), roughly. */
export function labelWidth(label: unknown): number {
  if (typeof label !== "string" || !label) return 0;
  let width = 14;
  for (const ch of label) width += ch.codePointAt(0)! >= 0x2e80 ? 11 : 6.6; // Hangul, CJK: wider
  return width;
}

/**
 * The distance between two neighbouring fanned edges, perpendicular to the line
 * between the nodes: enough for their labels (width × height boxes) not to overlap.
 * (nx, ny) is the unit normal of that line.
 */
export function fanSpacing(nx: number, ny: number, width: number, height = LABEL_HEIGHT): number {
  const byHeight = Math.abs(ny) > 1e-6 ? height / Math.abs(ny) : Infinity;
  const byWidth = Math.abs(nx) > 1e-6 && width > 0 ? width / Math.abs(nx) : Infinity;
  const need = Math.min(byHeight, byWidth);
  return Math.max(MIN_SPACING, Math.min(MAX_SPACING, Number.isFinite(need) ? need + 4 : MIN_SPACING));
}

export interface FannedPath {
  path: string;
  labelX: number;
  labelY: number;
  offset: number; // how far the curve's middle (and its label) is moved, in px
}

/**
 * A cubic curve from a right-hand source handle to a left-hand target handle,
 * bent sideways by `slot` spacings: both control points move along the normal
 * of the source→target line by offset / 0.75, which moves the curve's middle
 * (where the label sits, t = 0.5) by exactly `offset`.
 */
export function fannedPath(sx: number, sy: number, tx: number, ty: number, slot: number, width = 0): FannedPath {
  const dx = tx - sx;
  const dy = ty - sy;
  const length = Math.hypot(dx, dy);
  const [nx, ny] = length > 1e-6 ? [-dy / length, dx / length] : [0, 1];
  const offset = slot ? slot * fanSpacing(nx, ny, width) : 0;
  const reach = dx >= 0 ? Math.max(0.5 * dx, 40) : Math.max(40, 6 * Math.sqrt(-dx));
  const shift = offset / 0.75;
  const c1x = sx + reach + nx * shift;
  const c1y = sy + ny * shift;
  const c2x = tx - reach + nx * shift;
  const c2y = ty + ny * shift;
  const labelX = (sx + 3 * c1x + 3 * c2x + tx) / 8;
  const labelY = (sy + 3 * c1y + 3 * c2y + ty) / 8;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { path: `M${r(sx)},${r(sy)} C${r(c1x)},${r(c1y)} ${r(c2x)},${r(c2y)} ${r(tx)},${r(ty)}`, labelX, labelY, offset };
}
