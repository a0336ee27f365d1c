import { describe, expect, it } from "vitest";
import { diffLines, folded, sideBySide } from "./diff";

describe("the line diff", () => {
  it("finds one changed line", () => {
    const a = ["{", '  "a": 1,', '  "b": 2', "}"];
    const b = ["{", '  "a": 1,', '  "b": 3', "}"];
    const lines = diffLines(a, b);
    expect(lines.filter((l) => l.kind === "del").map((l) => l.text)).toEqual(['  "b": 2']);
    expect(lines.filter((l) => l.kind === "add").map((l) => l.text)).toEqual(['  "b": 3']);
    const rows = sideBySide(lines);
    expect(rows).toHaveLength(4);
    expect(rows[2].left?.text).toBe('  "b": 2');
    expect(rows[2].right?.text).toBe('  "b": 3');
  });

  it("insertions and deletions keep line numbers", () => {
    const lines = diffLines(["a", "b", "c"], ["a", "x", "c", "d"]);
    expect(lines.map((l) => `${l.kind}:${l.text}`)).toEqual(["same:a", "del:b", "add:x", "same:c", "add:d"]);
    expect(lines[4].right).toBe(4);
  });

  it("identical texts have no change; folding hides them", () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    expect(diffLines(text, text).every((l) => l.kind === "same")).toBe(true);
    const changed = [...text];
    changed[50] = "changed";
    const rows = folded(sideBySide(diffLines(text, changed)));
    expect(rows.filter((r) => r !== null)).toHaveLength(7);
    expect(rows[0]).toBeNull();
  });
});
