import { describe, expect, it } from "vitest";
import { tidy } from "./layout";
import type { Flow } from "./types";

describe("tidy", () => {
  it("puts each node right of its parents, loops ignored", () => {
    const flow: Flow = {
      id: 1,
      nodes: [
        { id: 1, type: "entry", next: [{ nodeId: 2 }] },
        { id: 2, type: "response", next: [{ nodeId: 3 }] },
        { id: 3, type: "keyboard", next: [{ nodeId: 4 }, { nodeId: 5 }] },
        { id: 4, type: "response", next: [{ nodeId: 2 }] }, // back to 2: a loop
        { id: 5, type: "response", next: [] },
        { id: 6, type: "response" }, // unconnected
      ],
    };
    const at = tidy(flow);
    const x = (id: number) => at.get(String(id))!.x;
    const y = (id: number) => at.get(String(id))!.y;
    expect(x(1)).toBeLessThan(x(2));
    expect(x(2)).toBeLessThan(x(3));
    expect(x(3)).toBeLessThan(x(4));
    expect(x(4)).toBe(x(5));
    expect(y(4)).not.toBe(y(5));
    expect(at.size).toBe(6);
    for (const p of at.values()) expect(Number.isInteger(p.x) && Number.isInteger(p.y)).toBe(true);
  });

  it("lays out 300 nodes quickly", () => {
    const nodes = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, type: i ? "response" : "entry", next: i < 299 ? [{ nodeId: i + 2 }, { nodeId: Math.max(1, (i * 7) % 300) }] : [] }));
    const start = performance.now();
    const at = tidy({ id: 1, nodes });
    expect(at.size).toBe(300);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it("leaves room after a layer for the labels of its edges", () => {
    const flow: Flow = {
      id: 1,
      nodes: [
        { id: 1, type: "keyboard", next: [{ nodeId: 2, where: { message: { equals: "a" } } }] },
        { id: 2, type: "response", next: [{ nodeId: 3 }] },
        { id: 3, type: "response" },
      ],
    };
    const at = tidy(flow, () => ({ width: 200, height: 100 }), { x: 80, y: 40 }, (id) => (id === "1" ? 190 : 0));
    expect(at.get("2")!.x - at.get("1")!.x).toBe(200 + 190 + 48);
    expect(at.get("3")!.x - at.get("2")!.x).toBe(200 + 80);
  });
});
