import { describe, expect, it } from "vitest";
import { fannedPath, fanSlots, fanSpacing, labelWidth, MIN_SPACING } from "./fan";

describe("parallel edges fanned out", () => {
  it("gives the edges of one pair of nodes distinct slots centred on 0, a lone edge 0", () => {
    const slots = fanSlots([
      { id: "4#0", source: "4", target: "5" },
      { id: "4#1", source: "4", target: "5" },
      { id: "4#2", source: "4", target: "5" },
      { id: "1#0", source: "1", target: "2" },
      { id: "2#0", source: "2", target: "3" },
      { id: "2#1", source: "2", target: "3" },
      { id: "5#0", source: "5", target: "4" }, // the other direction is another pair
    ]);
    expect([slots.get("4#0"), slots.get("4#1"), slots.get("4#2")]).toEqual([-1, 0, 1]);
    expect(slots.get("1#0")).toBe(0);
    expect([slots.get("2#0"), slots.get("2#1")]).toEqual([-0.5, 0.5]);
    expect(slots.get("5#0")).toBe(0);
  });

  it("moves each curve's middle, where its label sits, by slot × spacing: no two labels overlap", () => {
    const label = "payload.pokemon = Charmander";
    const width = labelWidth(label);
    const paths = [-1, 0, 1].map((slot) => fannedPath(100, 200, 500, 200, slot, width));
    // a horizontal line: the labels are stacked vertically, a label's height or more apart
    expect(paths.map((p) => p.labelX)).toEqual([300, 300, 300]);
    const ys = paths.map((p) => p.labelY);
    expect(ys[1]).toBeCloseTo(200);
    expect(ys[1] - ys[0]).toBeGreaterThanOrEqual(22);
    expect(ys[2] - ys[1]).toBeCloseTo(ys[1] - ys[0]);
    expect(new Set(paths.map((p) => p.path)).size).toBe(3);
    expect(paths[0].path.startsWith("M100,200 C")).toBe(true);
    expect(paths[0].path.endsWith(" 500,200")).toBe(true);
    // slot 0 is the plain curve: its middle on the line
    expect(paths[1].offset).toBe(0);
  });

  it("spaces a steep line's labels by their width, a flat line's by their height", () => {
    // normal (0, 1): a horizontal line, labels apart vertically
    expect(fanSpacing(0, 1, 200)).toBeCloseTo(26);
    // normal (1, 0): a vertical line, the labels are apart sideways: their width
    expect(fanSpacing(1, 0, 200)).toBeGreaterThanOrEqual(200);
    // a diagonal: whichever is less
    const d = Math.SQRT1_2;
    expect(fanSpacing(d, d, 200)).toBeCloseTo(22 / d + 4);
    expect(fanSpacing(0, 1, 0)).toBeGreaterThanOrEqual(MIN_SPACING);
    const steep = [-1, 1].map((slot) => fannedPath(100, 100, 140, 600, slot, 180));
    const apart = Math.hypot(steep[1].labelX - steep[0].labelX, steep[1].labelY - steep[0].labelY);
    expect(apart).toBeGreaterThan(2 * 26);
  });
});
